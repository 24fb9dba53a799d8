// The JSON Schema (draft 2020-12) of swiftlet.yaml as written, for editors: defaults are shown, defaulted keys are
// optional, every key has a description. The committed copy, schema/swiftlet.schema.json, is checked by a test.
import { z } from 'zod';
import { DESCRIPTIONS } from './descriptions.js';
import { configSchema } from './schema.js';

type Node = Record<string, unknown>;

export function configJsonSchema(): Node {
  const schema = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }) as Node;
  annotate(schema, '');
  return schema;
}

/** Every key path of the schema, as used in DESCRIPTIONS and docs/config.md. */
export function schemaKeyPaths(): string[] {
  const paths = new Set<string>();
  annotate(configJsonSchema(), '', (p) => paths.add(p));
  return [...paths];
}

function annotate(node: Node, path: string, visit: (path: string) => void = () => undefined): void {
  if (path !== '') {
    visit(path);
    const description = DESCRIPTIONS[path];
    if (description !== undefined && node.description === undefined) node.description = description;
  }
  walkChildren(node, path, visit);
}

function walkChildren(node: Node, path: string, visit: (path: string) => void): void {
  // zod states the safe-integer bounds on every integer; editors only need the real ones.
  if (node.maximum === Number.MAX_SAFE_INTEGER) delete node.maximum;
  if (node.minimum === Number.MIN_SAFE_INTEGER) delete node.minimum;
  for (const [key, child] of Object.entries((node.properties ?? {}) as Record<string, Node>)) {
    annotate(child, path === '' ? key : `${path}.${key}`, visit);
  }
  // Maps keyed by name; header maps stop here, their keys are the user's.
  if ((path === 'providers' || path === 'agents') && isNode(node.additionalProperties)) {
    annotate(node.additionalProperties, `${path}.<name>`, visit);
  }
  if (isNode(node.items)) annotate(node.items, `${path}[]`, visit);
  // The forms of a union share the union's path (a tool written as a name or as a mapping).
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = node[key];
    if (Array.isArray(options)) for (const o of options) if (isNode(o)) walkChildren(o, path, visit);
  }
}

function isNode(v: unknown): v is Node {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
