import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENTRY_VERSION, type Entry, type EntryData } from '../../src/core/index.js';
import { buildContext } from '../../src/agent/index.js';

function log(...data: EntryData[]): Entry[] {
  return data.map((d, i) => ({ ...d, v: ENTRY_VERSION, turnId: 'turn_x', at: 0, seq: i + 1 }) as Entry);
}

const call = (id: string) => ({ id, name: 'todo', arguments: '{"action":"list"}' });
const result = (id: string): EntryData => ({ type: 'tool_result', callId: id, name: 'todo', output: `out ${id}` });

const history = log(
  { type: 'turn_start', agent: 'a' },
  { type: 'user', text: 'one' },
  { type: 'assistant', text: 'reply one' },
  { type: 'turn_end', outcome: 'final', usage: { inputTokens: 1, outputTokens: 1 }, steps: 1 },
  { type: 'turn_start', agent: 'a' },
  { type: 'user', text: 'two' },
  { type: 'assistant', text: '', toolCalls: [call('c1'), call('c2')] },
  { type: 'state', key: 'todo', value: [] },
  result('c2'),
  result('c1'),
  { type: 'assistant', text: 'reply two' },
  { type: 'turn_end', outcome: 'final', usage: { inputTokens: 1, outputTokens: 1 }, steps: 2 },
);

test('buildContext keeps messages only, each tool call followed by its result', () => {
  assert.deepEqual(buildContext(history, 100), [
    { role: 'user', content: 'one' },
    { role: 'assistant', content: 'reply one' },
    { role: 'user', content: 'two' },
    { role: 'assistant', content: '', toolCalls: [call('c1'), call('c2')] },
    { role: 'tool', callId: 'c1', name: 'todo', content: 'out c1' },
    { role: 'tool', callId: 'c2', name: 'todo', content: 'out c2' },
    { role: 'assistant', content: 'reply two' },
  ]);
});

test('the window is cut at a user message, so no result is orphaned', () => {
  // The last 4 message entries start at a tool result: the cut moves forward to the next user message (none here).
  assert.deepEqual(buildContext(history, 4), []);
  // Five entries reach back exactly to "two".
  const five = buildContext(history, 5);
  assert.equal(five[0]?.role, 'user');
  assert.equal(five.length, 5);
  // Six reach into turn one's reply: the cut skips to "two".
  assert.deepEqual(buildContext(history, 6), five);
  assert.deepEqual(buildContext(history, 0), []);
});

test('calls without results are dropped from their reply; stray results and empty replies are left out', () => {
  const broken = log(
    { type: 'user', text: 'go' },
    { type: 'assistant', text: 'working', toolCalls: [call('a'), call('b')], providerState: { id: 'resp_1' } },
    result('a'),
    { type: 'assistant', text: '', toolCalls: [call('lost')] },
    result('stray'),
    { type: 'assistant', text: 'partial', interrupted: true },
    { type: 'tool_result', callId: 'x', name: 'todo', output: 'bad', isError: true },
  );
  assert.deepEqual(buildContext(broken, 100), [
    { role: 'user', content: 'go' },
    { role: 'assistant', content: 'working', toolCalls: [call('a')] },
    { role: 'tool', callId: 'a', name: 'todo', content: 'out a' },
    { role: 'assistant', content: 'partial' },
  ]);
});

test('error results and provider state are carried through', () => {
  const entries = log(
    { type: 'user', text: 'go' },
    { type: 'assistant', text: '', toolCalls: [call('a')], providerState: { id: 'resp_1' } },
    { type: 'tool_result', callId: 'a', name: 'todo', output: 'nope', isError: true },
  );
  assert.deepEqual(buildContext(entries, 10), [
    { role: 'user', content: 'go' },
    { role: 'assistant', content: '', toolCalls: [call('a')], providerState: { id: 'resp_1' } },
    { role: 'tool', callId: 'a', name: 'todo', content: 'nope', isError: true },
  ]);
});

test('results after state entries still pair with their call; a later result for the same call wins', () => {
  const entries = log(
    { type: 'turn_start', agent: 'a' },
    { type: 'user', text: 'go' },
    { type: 'assistant', text: '', toolCalls: [call('a')] },
    { type: 'state', key: 'todo', value: [] },
    { type: 'tool_result', callId: 'a', name: 'todo', output: 'first' },
    { type: 'tool_result', callId: 'a', name: 'todo', output: 'second' },
    { type: 'turn_end', outcome: 'final', usage: { inputTokens: 1, outputTokens: 1 }, steps: 1 },
  );
  assert.deepEqual(buildContext(entries, 10), [
    { role: 'user', content: 'go' },
    { role: 'assistant', content: '', toolCalls: [call('a')] },
    { role: 'tool', callId: 'a', name: 'todo', content: 'second' },
  ]);
});
