export const WRITES_HELP = `writes: store transactions per turn under rapid turns. The runtime in-process on --store (sqlite, or postgres at
127.0.0.1:5432 db test in a fresh schema), --users sessions each running --turns turns back to back at once, the mock
LLM in its own process with latency 0; once per durability mode (--durability, default both).
  transactions/turn   store transactions committed ÷ turns completed (the group-commit writer's count). A turn
                      appends its user message, the model's tool call, the tool result and the answer: written one
                      by one that would be several transactions per turn; grouped, many turns share one
  entries/tx          session-log entries per transaction
  turns/s             completed turns ÷ the wall time of the run
  tx ms p50/p99       duration of one transaction (the store's own time, from the commit diagnostics channel)
  turn ms p50/p95/p99 wall time of one completed turn, run() to its result (durable: after its commit)
  cpu s               CPU seconds of the benchmark process during the mode's turns (runtime and store; the mock
                      runs in its own process)
  rss MB, heap MB     the benchmark process's resident memory and V8 heap in use after the mode's turns
  completed           turns that ended with the scripted answer ÷ turns offered (--users × --turns)
  durable ÷ relaxed   turns/s of durable ÷ relaxed
`;
