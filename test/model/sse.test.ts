import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SseParser } from '../../src/model/sse.js';
import type { SseEvent } from '../../src/model/sse.js';

const encoder = new TextEncoder();

/** Feeds `pieces` one by one and collects every event, including those `end()` flushes. */
function parse(pieces: (string | Uint8Array)[]): SseEvent[] {
  const parser = new SseParser();
  const out: SseEvent[] = [];
  for (const piece of pieces) out.push(...parser.push(typeof piece === 'string' ? encoder.encode(piece) : piece));
  out.push(...parser.end());
  return out;
}

/** Every way of cutting `text` in two. */
function allSplits(text: string): [string, string][] {
  const splits: [string, string][] = [];
  for (let i = 0; i <= text.length; i++) splits.push([text.slice(0, i), text.slice(i)]);
  return splits;
}

describe('SseParser', () => {
  test('parses data events with and without a space after the colon', () => {
    assert.deepEqual(parse(['data: a\n\ndata:b\n\n']), [
      { event: 'message', data: 'a' },
      { event: 'message', data: 'b' },
    ]);
  });

  test('joins multi-line data with LF and keeps the event name', () => {
    const events = parse(['event: message_start\ndata: {"a":\ndata:  1}\n\n']);
    assert.deepEqual(events, [{ event: 'message_start', data: '{"a":\n 1}' }]);
  });

  test('CRLF, CR and LF line endings give the same events', () => {
    const lf = 'event: x\ndata: 1\ndata: 2\n\ndata: 3\n\n';
    const expected = parse([lf]);
    assert.equal(expected.length, 2);
    assert.deepEqual(parse([lf.replaceAll('\n', '\r\n')]), expected);
    assert.deepEqual(parse([lf.replaceAll('\n', '\r')]), expected);
  });

  test('any split point, including between CR and LF, gives the same events', () => {
    const text = 'event: delta\r\ndata: {"text":"héllo"}\r\n\r\n: ping\r\ndata: [DONE]\r\n\r\n';
    const expected = [
      { event: 'delta', data: '{"text":"héllo"}' },
      { event: 'message', data: '[DONE]' },
    ];
    for (const [a, b] of allSplits(text)) assert.deepEqual(parse([a, b]), expected, `split ${JSON.stringify(a)}`);
    // One byte at a time, which also cuts the two-byte UTF-8 `é` in half.
    const bytes = encoder.encode(text);
    assert.deepEqual(parse([...bytes].map((b) => Uint8Array.of(b))), expected);
  });

  test('skips comments and unknown fields, ignores id and retry', () => {
    const events = parse([': keep-alive\n: OPENROUTER PROCESSING\n\nid: 7\nretry: 10\nfoo: bar\ndata: x\n\n']);
    assert.deepEqual(events, [{ event: 'message', data: 'x' }]);
  });

  test('an event without data is not dispatched; an empty data line is', () => {
    assert.deepEqual(parse(['event: ping\n\ndata\n\n']), [{ event: 'message', data: '' }]);
  });

  test('a blank line between events resets the event name', () => {
    assert.deepEqual(parse(['event: a\ndata: 1\n\ndata: 2\n\n']), [
      { event: 'a', data: '1' },
      { event: 'message', data: '2' },
    ]);
  });

  test('a last event without its blank line or final newline is flushed by end()', () => {
    assert.deepEqual(parse(['data: 1\n\ndata: [DONE]\n']), [
      { event: 'message', data: '1' },
      { event: 'message', data: '[DONE]' },
    ]);
    assert.deepEqual(parse(['data: 1\n\ndata: [DO', 'NE]']), [
      { event: 'message', data: '1' },
      { event: 'message', data: '[DONE]' },
    ]);
  });

  test('push returns events as soon as their blank line arrives', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push(encoder.encode('data: a\n')), []);
    assert.deepEqual(parser.push(encoder.encode('\ndata: b')), [{ event: 'message', data: 'a' }]);
    assert.deepEqual(parser.push(encoder.encode('\n\n')), [{ event: 'message', data: 'b' }]);
    assert.deepEqual(parser.end(), []);
  });
});
