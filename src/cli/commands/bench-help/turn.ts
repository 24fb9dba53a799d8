export const TURN_HELP = `turn: sequential turns, each a tool call and a final answer, i.e. two model calls to the mock LLM (a separate
process, latency 0: step 0 asks for current_time, step 1 answers with a short text). Three contenders run the same
turns, in interleaved blocks of 50 (A,B,C,A,B,C…) so that drift hits all alike; turn i goes to session i mod --sessions,
and each sends the last 50 messages of its session's history:
  swiftlet    the runtime in-process, durable SQLite in a temp dir, runtime.run(...).result per turn
  fetch loop  a hand-written loop with global fetch (stream: false), history in a Map, the tool run in-process;
              stores nothing
  floor       the same loop over undici.request on a keep-alive Pool, plus ONE better-sqlite3 transaction (WAL,
              synchronous=NORMAL, prepared statements) appending the turn's messages: the least a durable agent does
All three run Swiftlet's current_time implementation, so the tool costs the same everywhere. Swiftlet streams its
model calls (SSE); the baselines ask for whole JSON answers.

Figures (each per contender, per run over completed turns, then the median over runs with min–max):
  ms/turn median, p95, p99   wall time of one whole turn (performance.now() around it); nearest-rank quantiles
  turns/s                    completed turns ÷ the contender's own summed turn time (sequential throughput)
  ÷ floor                    the contender's median ms/turn ÷ the floor's, per run; Swiftlet's bar is ≤ 1.25
  cpu ms/turn                CPU time (user + system, all threads) of the benchmark process during the contender's
                             turns ÷ turns; the mock's CPU is not in it. Less sensitive than wall time to a busy machine
  completed                  turns that ended with the scripted answer ÷ turns offered
  heap per hot session       a child process (--expose-gc --no-flush-bytecode) primes 500 sessions, then runs
                             --mem-sessions new sessions one turn each, all kept in the hot cache: growth of the
                             heap (code spaces excluded) after full GCs ÷ sessions. "hot cache accounts" is the
                             runtime's own estimate for them, on which its hotCacheMb bound is enforced
  fetch loop Map             the same for the fetch loop's history Map
  per stored session         the same with hotCacheMb: 0, so sessions are evicted after their turn (≈ 0 expected)
`;
