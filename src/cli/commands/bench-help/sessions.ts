export const SESSIONS_HELP = `sessions: many stored, idle sessions. \`swiftlet serve\` (the turn agent, durable) starts on an empty store and
idles for --idle-seconds; then the store is filled with --sessions S sessions of --messages H messages each (default
100000 × 10), written through Swiftlet's store adapter in transactions of 500-1000 sessions: the rows a server writes
for the turn workload (turns of user message, tool call, tool result, answer, with their turn start and end), which
is preparation, not measurement. The server then starts again on the filled store and idles as long; then a random
--touch-percent of the sessions (default 1) each run --touch-turns turns (default 3) through the native API
(POST /v1/sessions/:id/turns), 4 sessions at a time, on the mock LLM in its own process.

Figures (empty store, S sessions, and the difference: what the stored sessions cost):
  start to listening ms  spawn of \`swiftlet serve\` to the address it prints once it listens (a server that read
                         every stored session at start-up would show it here)
  idle RSS MB, heap MB   the server's VmRSS (/proc) and V8 heap (/metrics) after idling; bar: RSS ≤ 120 MB at
                         100000 sessions
  db size MB             the database's size on disk (SQLite: the file plus its WAL; PostgreSQL: the schema's
                         tables with their indexes, pg_total_relation_size)
  after the touched turns  RSS, heap, and the sessions the hot cache holds
  hot-cache hit rate     hits ÷ (hits + misses) of the hot session cache during those turns, from /metrics. Each turn
                         looks its session up twice (the route checks that it exists, then the turn loads it), so the
                         first turn of a session that idled counts two misses, and T turns per session give at most
                         (T − 1) ÷ T
  turn p50/p99 ms        latency of the touched sessions' turns, taken by the client: cold (a session's first turn,
                         loaded from the store) and warm (its later turns) apart
`;
