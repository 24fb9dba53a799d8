// Request JSON, parsed with a depth limit: validation and every later reader walk values recursively, and a body of
// 1 MB can nest half a million levels. Nothing Swiftlet accepts needs more than a few.
import { SwiftletError } from '../core/index.js';

/** Objects and arrays nested deeper than this are refused. */
export const MAX_JSON_DEPTH = 32;

interface Frame {
  value: unknown;
  depth: number;
  key: string | number;
  parent: Frame | undefined;
}

/**
 * JSON.parse, then a check that nothing nests deeper than MAX_JSON_DEPTH (the top-level value is depth 1). Throws
 * INVALID_INPUT naming `what` for bad JSON, and the top-level field for a value too deep.
 */
export function parseJson(text: string, what: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', `the ${what} is not valid JSON: ${(err as Error).message}`, {
      field: what,
    });
  }
  const deep = tooDeep(value);
  if (deep !== undefined) {
    const path = pathOf(deep);
    const shown = path.length > 12 ? `${path.slice(0, 12).join('.')}…` : path.join('.');
    throw new SwiftletError(
      'SWIFTLET_ERR_INVALID_INPUT',
      `${shown === '' ? what : shown}: nested deeper than ${MAX_JSON_DEPTH} levels`,
      { field: typeof path[0] === 'string' ? path[0] : what },
    );
  }
  return value;
}

/** The first value found deeper than the limit, or undefined. Iterative: no recursion on hostile input. */
function tooDeep(root: unknown): Frame | undefined {
  if (typeof root !== 'object' || root === null) return undefined;
  const stack: Frame[] = [{ value: root, depth: 1, key: '', parent: undefined }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const v = frame.value as object;
    if (frame.depth > MAX_JSON_DEPTH) return frame;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const c: unknown = v[i];
        if (typeof c === 'object' && c !== null)
          stack.push({ value: c, depth: frame.depth + 1, key: i, parent: frame });
      }
    } else {
      for (const k in v) {
        const c: unknown = (v as Record<string, unknown>)[k];
        if (typeof c === 'object' && c !== null)
          stack.push({ value: c, depth: frame.depth + 1, key: k, parent: frame });
      }
    }
  }
  return undefined;
}

function pathOf(frame: Frame): (string | number)[] {
  const out: (string | number)[] = [];
  for (let f: Frame | undefined = frame; f?.parent !== undefined; f = f.parent) out.push(f.key);
  return out.reverse();
}
