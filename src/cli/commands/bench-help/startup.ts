export const STARTUP_HELP = `startup: \`serve --port 0\` with a config on the built-in mock provider (no key needed) and SQLite in a temp dir. One
unmeasured start creates the database; then --runs timed starts:
  spawn → /readyz 200      from spawning node to the first 200 from GET /readyz, which is polled every 2 ms once
                           the server has printed its address (\`serve --json\`); median, p95, min, max; bar ≤ 150 ms
  spawn → address printed  the part of that until the address line on stdout
  idle RSS, heap           one more start left idle for --idle-seconds: VmRSS from /proc/<pid>/status and the
                           /metrics heap gauge
  --version                spawn → exit of \`swiftlet --version\` (one unmeasured, then --runs); bar ≤ 80 ms
  node -e 0                spawn → exit of a bare node, for scale: every Node.js program pays it
  own share                each median minus the bare node's: what Swiftlet adds to Node's own start
  production dependencies  the folders \`npm ls --omit=dev --parseable --all\` lists, each without its nested
                           node_modules, hard links once: allocated bytes as du counts them (and file contents);
                           bar ≤ 40 MB (10^6 bytes). It measures this install: a dependency built from source keeps
                           its build intermediates
Both scenarios run whatever started them: node dist/cli.js (the bundle) or the sources through tsx, which is slower.
`;
