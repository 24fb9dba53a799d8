export const CONCURRENCY_HELP = `concurrency: many sessions in flight at once against the mock LLM with --llm-latency per call (default 500 ms),
for each level C of --users (default 1000,10000). Each of the C sessions runs turns back to back (a closed loop: a
session starts its next turn when the last one ended), the sessions' first turns spread evenly over one turn's time
so that they do not all start in the same millisecond; --duration seconds are measured after a warm-up of one turn
per session. Contenders, each in its own process so that its memory and CPU are its own:
  server      \`swiftlet serve\` (durable SQLite by default) driven over HTTP by a separate load-generator process
              through the native API, one keep-alive connection per session
  swiftlet    the runtime in-process (its own child process), as in the turn scenario
  fetch loop  the hand-written fetch loop in its own child process, history in a Map, nothing stored
With --target URL only that running server is measured (its own provider and agent; SWIFTLET_API_KEY is sent as
the bearer key when set).

Figures (per contender and level):
  completed turns/s   turns that ended with the scripted answer during the measured window ÷ its seconds; bar at
                      C = 1000: swiftlet ≥ the fetch loop
  p50/p95/p99 ms      turn latency; overhead = latency − 2 × --llm-latency (the two model calls); bar at C = 10000
                      (server): p99 overhead ≤ 50 ms
  errors              turns that failed or did not end as scripted; bar at C = 10000: 0
  peak RSS MB         the highest VmRSS of the contender's process sampled every 100 ms; bar at C = 10000 (server):
                      ≤ 300 MB
  cpu s               user + system CPU seconds of the contender's process in the window
`;
