// Key-shaped strings out of free text (provider error bodies, upstream messages) before it reaches a log line. The
// logger's path redaction covers known fields; this covers secrets a provider echoes back inside its own text.

const R = '[Redacted]';

/** A long run counts as a token when it mixes letters and digits (a plain long word or number is left alone). */
const token = (run: string): string => (/[0-9]/.test(run) && /[A-Za-z]/.test(run) ? R : run);

const RULES: readonly [RegExp, string | ((match: string) => string)][] = [
  // Authorization schemes: the credential after the scheme name.
  [/\b(Bearer|Basic|Token)\s+[^\s"',;]+/gi, `$1 ${R}`],
  // `api_key=…`, `"apiKey": "…"`, `x-api-key: …`, `password=…`: the value after the name.
  [
    /\b((?:x-)?api[-_]?key|access[-_]?token|refresh[-_]?token|secret|password|passwd|token)(["']?\s*[:=]\s*["']?)[^\s"',;&}]+/gi,
    `$1$2${R}`,
  ],
  // Prefixed provider keys: sk-… (OpenAI, Anthropic sk-ant-…), pk-/rk-…, GitHub gh?_…, Slack xox?-…, AWS AKIA….
  [/\b(?:sk|pk|rk)-[A-Za-z0-9_-]{6,}/g, R],
  [/\bgh[pousr]_[A-Za-z0-9]{16,}/g, R],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/g, R],
  [/\bA(?:KIA|SIA)[0-9A-Z]{16}\b/g, R],
  // Any other long run of base64/hex-ish characters with letters and digits: a token, not a word.
  [/[A-Za-z0-9+/_=-]{32,}/g, token],
];

/** `text` with anything that looks like a credential replaced by "[Redacted]". */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of RULES) {
    out = typeof replacement === 'string' ? out.replace(pattern, replacement) : out.replace(pattern, replacement);
  }
  return out;
}
