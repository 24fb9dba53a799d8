export const BROKER_HELP = `broker: tasks delivered and completed through the task bus, with consumers that complete at once. Per store
(--store all, the default: durable SQLite; consumers over gRPC; PostgreSQL at --postgres-url and NATS at --nats-url,
each when it answers, else skipped with a note; --store both is SQLite and PostgreSQL) and per run (--runs, default 3), one child process holds the bus, its publisher and its
subscribers (the local bus is in-process by design; the harness that starts it and reads the stores back runs
apart); each measurement gets a fresh store (a SQLite file, WAL and synchronous NORMAL as the server opens it; a
PostgreSQL schema, dropped after). --subscribers agents (default 10) each hold --concurrency tasks at once (default 4).
  throughput          direct tasks to agent i mod N, published as fast as the bus accepts them with at most 5000
                      (half the queue limit) published and not completed; --tasks measured (default 20000) after a
                      warm-up of a tenth of them (at most 2000). tasks/s: measured tasks ÷ first measured publish
                      → last completion; writes/tx: the bus writer's task writes (3 per task) per transaction;
                      cpu µs/task: the child's CPU (bus, store, publisher, handlers) per task
  floor               the same life cycle on the same SQLite schema as bare prepared statements: the task row and
                      its submitted event; the claim (a guarded update setting a lease) and its working event; the
                      completion (a guarded update with the result) and its completed event; the bytes the bus
                      writes, 100 tasks per transaction in each stage, pipelined as a busy bus's commits are; no
                      queues, routing, promises or records in memory. It runs in its own child process, before the
                      bus in odd runs and after it in even ones. ÷ floor: the bus's tasks/s ÷ the floor's, that run
                      (the bar); cpu ÷ floor: the floor's CPU per task ÷ the bus's, which moves less than wall time
                      when other processes share the cores
  latency             --rate tasks/s offered (default 500) for --duration s (default 5) after 1 s of warm-up, an
                      open loop (a late timer publishes what is due at once). Per task, from the publish() call:
                      publish (its promise resolved: recorded), publish→claim (the handler invoked: claimed, and
                      the claim committed), publish→completion (complete() resolved: committed); p50, p99, max.
                      Beside them: each bus transaction (TaskStore.write) timed in the bus's process, and the event
                      loop's delay (perf_hooks, sampled every 1 ms), to tell a slow commit from a stalled process
  broadcast           broadcasts to 10 subscribers (each makes one child task per subscriber), as fast as the bus
                      takes them (at most 500 unanswered), then at --rate ÷ 10 broadcasts/s: children/s, parents/s,
                      children and parents completed; claim and child completion from the parent's publish() call;
                      parent done: its completed state as bus.watch() delivers it
  slow consumer       one of the --subscribers (\`slow\`) takes 50 ms per task, one at a time; the bus's queue limit
                      is 20 per target; --rate offered for --duration s round robin over the targets: publishes
                      refused with SWIFTLET_ERR_QUEUE_FULL (the slow target's and the fast ones'), the most slow tasks
                      accepted and not yet claimed, how long they waited (publish→claim), the fast consumers'
                      publish→claim beside them, the time to work off the queue after the last publish
  grpc                throughput and latency as above, the records on durable SQLite, with the consumers in a
                      process of their own over gRPC on loopback (@grpc/grpc-js and @grpc/proto-loader on the
                      repository's .proto, a Subscribe stream per agent holding --concurrency tasks, each completed
                      at once); claim and completion are the commits of those states, timed in the bus's process
  nats                throughput and latency as above with the bus on NATS JetStream (bus.driver nats, the records
                      on durable SQLite), and raw JetStream beside it in the same run: the same window of messages
                      published (PubAck awaited), fetched and acknowledged on a work-queue stream, a durable
                      consumer per agent, no store. Streams are made per measurement and deleted after
  --peers             after the bus: graphile-worker on PostgreSQL and BullMQ on Redis (127.0.0.1:6379), installed
                      into bench/peers (npm ci when missing), measured the same way (throughput window, queues,
                      handlers held, offered rate), each run in a child process of its own; the settings used are
                      printed with them
  correctness         every measurement counts in process that each accepted task was delivered and completed once,
                      then the harness reads the store back through its TaskStore: every task in state completed
                      with exactly one completed event, every published id there, every broadcast with its 10
                      children, nothing else. Any loss, duplicate or error makes the exit code 1
Bars: in process on durable SQLite ≥ 0.5 × the floor's tasks/s; publish→claim p50 ≤ 1 ms and p99 ≤ 5 ms at the
offered rate (SQLite); PostgreSQL publish→claim p99 ≤ 10 ms; over gRPC ≥ 10,000 tasks/s and publish→completion
p99 ≤ 10 ms; through NATS ≥ 0.7 × raw JetStream's tasks/s; zero tasks lost or completed twice. Each is judged on
the median over runs and reported with the runs in which it was met. --cpu-prof DIR writes V8 CPU profiles of the
bus and floor processes.
`;
