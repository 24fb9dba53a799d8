import type { TestContext } from 'node:test';
import {
  createModelClient,
  startMockLlm,
  type MockLlm,
  type MockLlmOptions,
  type ModelClient,
} from '../../src/model/index.js';

/** A mock LLM on port 0 and an OpenAI client pointed at it, both closed when the test ends. */
export async function mockModel(
  t: TestContext,
  options: MockLlmOptions,
): Promise<{ mock: MockLlm; model: ModelClient }> {
  const mock = await startMockLlm(options);
  const model = createModelClient({
    name: 'mock',
    type: 'openai',
    baseUrl: `${mock.url}/v1`,
    apiKey: 'k',
    timeouts: { connectMs: 2000, firstTokenMs: 2000, idleMs: 2000, totalMs: 10000 },
    retries: { max: 0, baseDelayMs: 10, maxDelayMs: 100 },
    maxConnections: 8,
  });
  t.after(async () => {
    await model.close();
    await mock.close();
  });
  return { mock, model };
}

interface WireMessage {
  role: string;
  content?: string | null;
  tool_call_id?: string;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
}

/** The messages of the mock's n-th recorded chat request (OpenAI wire format). */
export function wireMessages(mock: MockLlm, n: number): WireMessage[] {
  const record = mock.requests.filter((r) => r.format === 'openai-chat')[n];
  if (!record) throw new Error(`the mock saw no request #${n}`);
  return (record.body as { messages: WireMessage[] }).messages;
}
