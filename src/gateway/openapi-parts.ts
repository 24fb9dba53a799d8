// Building blocks of the OpenAPI document (openapi.ts), shared by its parts.

export type Schema = Record<string, unknown>;

export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
export const json = (schema: Schema, description = 'OK'): Schema => ({
  description,
  content: { 'application/json': { schema } },
});
export const errors = (...statuses: number[]): Record<string, Schema> =>
  Object.fromEntries(statuses.map((s) => [String(s), { $ref: `#/components/responses/E${s}` }]));
export const param = (
  name: string,
  where: 'path' | 'query' | 'header',
  schema: Schema,
  description: string,
): Schema => ({
  name,
  in: where,
  required: where === 'path',
  schema,
  description,
});

/** A name: ids and keys clients choose. */
export const name = { type: 'string', minLength: 1, maxLength: 128 };
export const limit = (max: number, dflt: number): Schema =>
  param('limit', 'query', { type: 'integer', minimum: 1, maximum: max, default: dflt }, 'Page size.');
