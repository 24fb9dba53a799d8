// OpenAI `POST /v1/embeddings` and `GET /v1/models`. Vectors are unit length and derived from a hash of the input, so
// equal inputs always embed equally and different inputs (almost surely) differently.
import { openaiError } from './openai-chat.js';
import { countWords } from './reply.js';
import { CREATED, isRecord } from './wire.js';

export interface Answer {
  status: number;
  body: string;
  model?: string;
}

const DEFAULT_DIMENSIONS = 8;
const MAX_DIMENSIONS = 8192;
const MODELS = ['mock-model', 'mock-embedding'];

export function embeddings(body: unknown): Answer {
  if (!isRecord(body)) return bad('The request body must be a JSON object.');
  const { model, input, dimensions = DEFAULT_DIMENSIONS, encoding_format: encoding = 'float' } = body;
  if (typeof model !== 'string' || model === '') return bad("Missing required parameter: 'model'.", 'model');
  const inputs = normaliseInput(input);
  if (inputs === undefined) {
    return bad("Invalid 'input': expected a string, an array of strings, or token arrays, none empty.", 'input');
  }
  if (
    typeof dimensions !== 'number' ||
    !Number.isInteger(dimensions) ||
    dimensions < 1 ||
    dimensions > MAX_DIMENSIONS
  ) {
    return bad(`Invalid 'dimensions': expected an integer from 1 to ${MAX_DIMENSIONS}.`, 'dimensions');
  }
  if (encoding !== 'float' && encoding !== 'base64') {
    return bad("Invalid 'encoding_format': expected 'float' or 'base64'.", 'encoding_format');
  }
  let tokens = 0;
  const data = inputs.map((text, index) => {
    tokens += typeof text === 'string' ? countWords(text) : text.length;
    const vec = embed(typeof text === 'string' ? text : text.join(','), dimensions);
    const embedding = encoding === 'base64' ? Buffer.from(vec.buffer).toString('base64') : Array.from(vec);
    return { object: 'embedding', index, embedding };
  });
  const usage = { prompt_tokens: tokens, total_tokens: tokens };
  return { status: 200, model, body: JSON.stringify({ object: 'list', data, model, usage }) };
}

export function listModels(anthropicStyle: boolean): string {
  if (anthropicStyle) {
    const data = MODELS.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-01-01T00:00:00Z' }));
    return JSON.stringify({ data, has_more: false, first_id: MODELS[0], last_id: MODELS[MODELS.length - 1] });
  }
  return JSON.stringify({ object: 'list', data: MODELS.map(model) });
}

export function getModel(id: string): string {
  return JSON.stringify(model(id));
}

function model(id: string): object {
  return { id, object: 'model', created: CREATED, owned_by: 'swiftlet' };
}

function bad(message: string, param?: string): Answer {
  return { status: 400, body: openaiError(400, message, param) };
}

function normaliseInput(input: unknown): (string | number[])[] | undefined {
  if (typeof input === 'string') return input === '' ? undefined : [input];
  if (!Array.isArray(input) || input.length === 0) return undefined;
  if (input.every((x) => typeof x === 'number')) return [input as number[]];
  const ok = input.every(
    (x) =>
      (typeof x === 'string' && x !== '') ||
      (Array.isArray(x) && x.length > 0 && x.every((n) => typeof n === 'number')),
  );
  return ok ? (input as (string | number[])[]) : undefined;
}

/** FNV-1a over UTF-16 units seeds mulberry32; the vector is normalised to length 1 like OpenAI's. */
export function embed(text: string, dimensions: number): Float32Array {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  let state = h >>> 0;
  const out = new Float32Array(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const v = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
    out[i] = v;
    norm += v * v;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 1;
  for (let i = 0; i < dimensions; i++) out[i] = (out[i] as number) * scale;
  return out;
}
