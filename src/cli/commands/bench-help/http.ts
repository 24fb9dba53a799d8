export const HTTP_HELP = `http: separate processes on loopback: the mock LLM (--llm-latency per call), \`swiftlet serve\` (a generated config
in a temp dir: the turn scenario's agent, durable SQLite, or a fresh PostgreSQL schema with --store postgres, dropped
afterwards; log level warn), the HTTP floor, and a load generator. Each request is one turn: a tool call and a final
answer. The generator runs an open loop: request k of a step is fired at start + k/rate whether or not earlier
requests have answered, on an undici Pool of 256 connections per target; request k goes to session k mod
--sessions. Targets:
  native          POST /v1/sessions/:id/turns {input}, JSON answer (sessions created beforehand)
  openai          POST /v1/chat/completions, stream: false, stateful through X-Swiftlet-Session, same server
  floor           a bare node:http server: reads the JSON body, makes the same two mock calls with undici.request
                  on a pooled client, appends the turn in ONE better-sqlite3 transaction, answers JSON; one turn at
                  a time per session; nothing else (no auth, limits, timeouts, logs or metrics)
  native relaxed  with --durability both: the native API on a second server with durability: relaxed
Phases: a 2 s warm-up per target; the overhead phase (--overhead-rate for --overhead-seconds per target, in 1 s
blocks rotating over the targets); then the ladder: rates --rate-start, +--rate-step, … (at most --steps), every
target in turn at each rate for --step-seconds, until each has passed its knee. Requests still open 2 s (+ 4 × the
LLM latency) after a step's last scheduled send are aborted and count as errors (timeout); a target that keeps more
than 1024 requests open has further sends shed (errors too). The ladder stops rising when its next step could end
past --max-seconds from the start (knee "≥ R", stopped by budget).

Figures (per target and step):
  offered/s        the scheduled rate; offered = rate × step seconds
  completed/s      answers 200 with the scripted final text that arrived by the step's scheduled end + 100 ms
                   (+ 2 × the LLM latency), ÷ the step's seconds; "completed" in the JSON also counts later answers
  errors           offered − completed: non-200 answers (429 and 503 are the server's bounds at work), wrong
                   answers, timeouts, network errors, shed sends; kinds in the JSON
  p50/p95/p99 ms   latency of completed requests, from the generator's send to the end of the answer body;
                   nearest-rank quantiles. lagP99Ms in the JSON says how late the generator fired behind schedule
  cpu s            user + system CPU seconds of the server process during the step (/proc/<pid>/stat); for native
                   and openai that is the Swiftlet server, shared by both targets
  cpu ms/req       that ÷ completed requests
  rss MB, heap MB  after the step: the server's swiftlet_process_resident_memory_bytes and
                   swiftlet_process_heap_used_bytes from /metrics; for the floor VmRSS of /proc/<pid>/status (what
                   ps shows) and process.memoryUsage().heapUsed
  knee             the highest rate at which completed/s ≥ 0.95 × offered/s and p99 ≤ the p99 limit. The limit is
                   the same for every target: from L, the median of the targets' p99 at the low fixed rate, and the
                   LLM's share 2 × --llm-latency: LLM share + max(10 × (L − LLM share), L − LLM share + 100 ms). A
                   failed step is run once more before it counts (one stall on a shared machine can sink a step).
                   "≥ R" when the ladder ended before the target failed
  knee(native) ÷ knee(floor)      bar ≥ 0.7; a bound (at least / at most) when one knee was not reached
  knee(durable) ÷ knee(relaxed)   the native API on both servers (--durability both); bar ≥ 0.9
  server CPU per request, floor ÷ native (÷ openai)   at each rate both kept up with (first attempt), the
                   floor's cpu ms/req ÷ the target's; median and range over those rates. Unlike the knees it does
                   not depend on what else the machine runs (mock, generator, other programs)
  overhead         at the low fixed rate: the target's median (p99) latency minus the floor's median (p99).
                   Bars for the native API: median ≤ 0.5 ms, p99 ≤ 3 ms
--cpu-prof DIR starts the servers with --cpu-prof; the profiles are written when they stop.
With --target URL only that running server is measured, through its native and OpenAI-compatible APIs: --sessions
new sessions of its default agent, the OpenAI requests to the first model of its GET /v1/models, SWIFTLET_API_KEY
(when set) sent as the bearer key. No mock, no floor (so no overhead and no ratios against it), and the server's CPU
is not known; memory comes from its /metrics (server.metrics: true). A completed request is a 200 with a final
answer that has text (native: outcome "final"). A 2 s probe at up to 10/s first measures its median turn time T,
which stands in for the mock's latency: answers count until T + 100 ms after a step, open requests are aborted 2 s +
2 × T after it, and the p99 limit is max(10 × L, L + 100 ms). --llm-latency, --durability, --store, --cpu-prof and
--memory-profile describe the processes the scenario would start and are refused with --target.
`;
