import { SwiftletError } from '../core/index.js';

// `list` pages by keyset on (updatedAt desc, id asc), and across every tenant on (updatedAt desc, id asc, tenant asc).
// The cursor is the last row of the previous page; callers treat it as opaque. A session updated between two page
// reads may move to an earlier page (keyset paging over a moving key).

export interface ListCursor {
  updatedAt: number;
  id: string;
  /** The last row's tenant: orders rows of several tenants that share a time and an id. */
  tenant: string;
}

export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 1000;

export function listLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', 'limit must be a positive integer', { field: 'limit' });
  }
  return Math.min(limit, MAX_LIST_LIMIT);
}

export function encodeCursor(c: ListCursor): string {
  return Buffer.from(JSON.stringify([c.updatedAt, c.id, c.tenant])).toString('base64url');
}

export function decodeCursor(cursor: string): ListCursor {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 3 && typeof v[0] === 'number' && typeof v[1] === 'string') {
      if (typeof v[2] === 'string') return { updatedAt: v[0], id: v[1], tenant: v[2] };
    }
  } catch {
    // fall through to the error below
  }
  throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', 'cursor is not one returned by list', { field: 'cursor' });
}

/** True when `s` sorts after the cursor row in list order (across tenants when `allTenants`). */
export function afterCursor(s: ListCursor, c: ListCursor, allTenants: boolean): boolean {
  if (s.updatedAt !== c.updatedAt) return s.updatedAt < c.updatedAt;
  if (s.id !== c.id) return s.id > c.id;
  return allTenants && s.tenant > c.tenant;
}

/** List order: newest first, then by id, then (across tenants) by tenant. */
export function compareListed(a: ListCursor, b: ListCursor): number {
  return b.updatedAt - a.updatedAt || compareText(a.id, b.id) || compareText(a.tenant, b.tenant);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
