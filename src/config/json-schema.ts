// The JSON Schema (draft 2020-12) of swiftlet.yaml as written, for editors: defaults are shown and defaulted keys are
// optional. The committed copy, schema/swiftlet.schema.json, is checked against this by a test.
import { z } from 'zod';
import { configSchema } from './schema.js';

export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' });
}
