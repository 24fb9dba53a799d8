export const CONCURRENCY_HELP = `concurrency: many sessions in flight at once against the mock LLM with --llm-latency
per call (default 500 ms), for each level C of --users (default 1000,10000). Each of the C sessions runs turns back
to back (a closed loop: a session starts its next turn when its last one ended; after a failed turn it waits
max(100 ms, 2 × --llm-latency)), the sessions' first turns spread evenly over one turn's time (2 × --llm-latency).
The measured window opens when every session has ended its first turn (the warm-up; at the latest 60 s after the
first turns) and lasts --duration seconds (default 20); a turn counts in the window when it ended inside it.
Contenders, one after the other, each in fresh processes of its own so that its memory and CPU are its own:
  server      \`swiftlet serve\` (--store sqlite or postgres, --durability) driven over HTTP through the native API
              (POST /v1/sessions, then POST /v1/sessions/:id/turns) by a separate load-generator process, one
              keep-alive connection per session. Its config raises providers.mock.maxConnections (default 64),
              limits.maxConcurrentTurns (default 256) and server.maxConcurrentTurns (default 1024) to at least C:
              below C, turns wait for a connection or a slot, or get HTTP 429
  swiftlet    the runtime in-process, in its own child process (SQLite, --durability; the same raised limits)
  fetch loop  the hand-written fetch loop in its own child process, history in a Map, nothing stored
With --target URL only that running server is measured, through the same native API (its own provider, agent and
limits: give it maxConcurrentTurns and provider connections of at least C). A turn completes when it answers 200
with outcome "final" and a non-empty text; SWIFTLET_API_KEY, when set, is sent as the bearer key; C new sessions
are created at each level; its memory is read from the swiftlet_process_resident_memory_bytes gauge of /metrics
(server.metrics: true), its CPU is not known, and no overhead is computed (its model is not the mock).

Open files: the load generator holds one socket per session and the server one per session plus one per model call
in flight, all under the same \`ulimit -n\` L. A level needs L ≥ C + 576 (C + 512 with --target), else the run stops
at once with that message; the server gets min(C, L − C − 512) connections to the mock (C = 10000 needs L ≥ 20512
for all 10000; with less, the table says how many it got and the rest of the turns wait for one).

Figures (per contender and level):
  turns/s        turns that ended with the scripted answer inside the window ÷ --duration; % ideal compares them
                 with C ÷ (2 × --llm-latency), every session always in a model call
  p50/p95/p99 ms latency of those turns, timed by the load generator (server) or in the contender's own process
  ovh p99        p99 latency − 2 × --llm-latency (the two model calls)
  errors         failed turns in the window and in the warm-up (HTTP status, outcome other than final, wrong answer,
                 timeout after 60 s, network error, exception), listed by kind under the table
  peak RSS MB    the highest resident memory of the contender's process, read every 100 ms from /proc (--target:
                 from /metrics) from its start to the window's end
  cpu s          user + system CPU seconds of the contender's process in the window; under the table: the load
                 generator's and the mock's, and the event-loop delay p99 of the process that timed the turns (the
                 generator's: when high, the generator, not the server, limits the figures; in-process, the
                 contender's own stalls)
Bars: at C = 1000, swiftlet turns/s ≥ the fetch loop's; at C = 10000, the server (or --target) fails no turn, keeps
p99 overhead ≤ 50 ms and peak RSS ≤ 300 MB. Each is reported as met, missed, or not measured (that level was not
run). Errors and missed bars under overload are the measurement: the exit code is 1 only when a contender produced
no figures at some level (its process failed or could not be set up), the reason printed under the table.
--cpu-prof DIR and --memory-profile write V8 CPU and heap profiles of the server and of the in-process contenders.
`;
