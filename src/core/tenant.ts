// Tenants: who owns a record. Every session (and every later record: tasks, memory, grants) belongs to one, and its
// identity is (tenant, id): the same client-chosen id in two tenants names two records that never meet.

/** The tenant of everything when no API keys are configured, and the default of the CLI and the library. */
export const LOCAL_TENANT = 'local';

/** Tenant names: the same alphabet as agent and key names. */
export const TENANT_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

export function isValidTenant(tenant: string): boolean {
  return TENANT_PATTERN.test(tenant);
}

/** A session's identity. */
export interface SessionKey {
  readonly tenant: string;
  readonly id: string;
}

/**
 * Every tenant at once: only operator paths (an admin key's listing, the CLI, start-up recovery, pruning) pass it, and
 * they must say so by name. A symbol, so no request body or query string can ever produce it.
 */
export const ALL_TENANTS: unique symbol = Symbol.for('swiftlet.allTenants');

/** What a listing or a sweep reaches: one tenant, or ALL_TENANTS. */
export type TenantScope = string | typeof ALL_TENANTS;

/**
 * One string for a (tenant, id) pair, for in-memory maps. Unambiguous: tenant names never contain "/".
 */
export function sessionKeyString(tenant: string, id: string): string {
  return tenant + '/' + id;
}
