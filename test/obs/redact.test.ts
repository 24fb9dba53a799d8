import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactSecrets } from '../../src/obs/index.js';

test('key-shaped strings are redacted, the words around them kept', () => {
  const cases: [string, string][] = [
    ['Incorrect API key provided: sk-MODELSECRET-123456789.', 'Incorrect API key provided: [Redacted].'],
    ['key sk-ant-api03-AbCdEf_123-xyz is invalid', 'key [Redacted] is invalid'],
    ['sk-proj-abcdefgh', '[Redacted]'],
    ['Authorization: Bearer abc.def.ghi', 'Authorization: Bearer [Redacted]'],
    ['auth Basic dXNlcjpwYXNz failed', 'auth Basic [Redacted] failed'],
    ['{"api_key":"s3cr3t-value","model":"gpt"}', '{"api_key":"[Redacted]","model":"gpt"}'],
    ['x-api-key: hunter2', 'x-api-key: [Redacted]'],
    ['https://h/v1?key=abc&password=pw1', 'https://h/v1?key=abc&password=[Redacted]'],
    ['token ghp_0123456789abcdefABCDEF0123', 'token [Redacted]'],
    ['aws AKIAIOSFODNN7EXAMPLE here', 'aws [Redacted] here'],
    ['id 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 end', 'id [Redacted] end'],
    ['eyJhbGciOiJIUzI1NiJ9eyJzdWIiOiIxMjM0NTY3ODkwIn0 trailing', '[Redacted] trailing'],
  ];
  for (const [input, expected] of cases) assert.equal(redactSecrets(input), expected, input);
});

test('ordinary text is left as it is', () => {
  const texts = [
    'The model `gpt-4o-mini` does not exist or you do not have access to it.',
    'Rate limit reached: 10000 tokens per minute; max_tokens: 4096',
    'internationalizationalisticallyyyyyyyyyy is a long word without digits',
    'request req_12 failed at 2024-05-01T10:00:00Z',
    '',
  ];
  for (const text of texts) assert.equal(redactSecrets(text), text);
});
