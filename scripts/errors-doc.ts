// Rewrites the error-code table in docs/errors.md from ERROR_CODES (src/core/errors.ts), the table's one source.
// Usage: node --import tsx scripts/errors-doc.ts [--check]
// --check exits 1, changing nothing, when the committed table is not the generated one. A test runs the same check.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from '../src/core/errors.js';

export const ERRORS_DOC = fileURLToPath(new URL('../docs/errors.md', import.meta.url));
export const TABLE_START = '<!-- error-codes:start (generated from src/core/errors.ts by scripts/errors-doc.ts) -->';
export const TABLE_END = '<!-- error-codes:end -->';

/** The Markdown table, one unpadded row per code, in registry order. */
export function errorsTable(): string {
  const rows = Object.entries(ERROR_CODES).map(([code, info]) => {
    const retry = 'retryableDoc' in info ? info.retryableDoc : info.retryable ? 'yes' : 'no';
    return `| \`${code}\` | ${info.fault} | ${retry} | ${info.doc} |`;
  });
  return ['| code | fault | retryable | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** `doc` with the text between the markers replaced by the generated table. */
export function withGeneratedTable(doc: string): string {
  const start = doc.indexOf(TABLE_START);
  const end = doc.indexOf(TABLE_END);
  if (start === -1 || end < start) throw new Error(`docs/errors.md: markers ${TABLE_START} … ${TABLE_END} not found`);
  return `${doc.slice(0, start + TABLE_START.length)}\n${errorsTable()}\n${doc.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const current = readFileSync(ERRORS_DOC, 'utf8');
  const next = withGeneratedTable(current);
  if (process.argv.includes('--check')) {
    if (next !== current) {
      process.stderr.write('docs/errors.md is out of date: run node --import tsx scripts/errors-doc.ts\n');
      process.exitCode = 1;
    }
  } else if (next !== current) {
    writeFileSync(ERRORS_DOC, next);
    process.stdout.write('docs/errors.md: table rewritten\n');
  }
}
