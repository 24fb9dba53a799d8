export const OUTPUT_HELP = `Output: a progress line on stderr when it is a terminal, the table on stdout. --json prints the full result as JSON
on stdout instead of the table; --json FILE writes it to FILE and still prints the table. Exit code 1 when a turn did
not complete (turn) or a request at the low fixed rate did not (http).
`;
