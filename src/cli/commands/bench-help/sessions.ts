export const SESSIONS_HELP = `sessions: many stored, idle sessions. The store is filled with --sessions S sessions of --messages H messages each
(default 100000 × 10; written straight through the store in large transactions, which is preparation, not
measurement). Then \`swiftlet serve\` starts on that store and idles for --idle-seconds; then a random --touch-percent
of the sessions (default 1) each run --touch-turns turns (default 3) through the native API.

Figures:
  idle RSS MB, heap MB   the server's VmRSS and V8 heap after idling on S stored sessions; bar: RSS ≤ 120 MB
  db size MB             the database's size on disk (SQLite: the file plus its WAL; PostgreSQL: the schema's
                         relations, pg_total_relation_size)
  touched RSS MB, heap   the same after the touched sessions' turns
  hot-cache hit rate     hits ÷ (hits + misses) of the hot session cache during those turns, from /metrics; the first
                         turn of a session that idled is a miss by design
  turn p50/p99 ms        latency of the touched sessions' turns (cold first turn and warm ones apart)
`;
