// Which tenant a session route reaches. A caller reaches its own tenant's sessions; an admin key also names another
// tenant with `?tenant=T`, to read, interrupt or delete that tenant's sessions (turns and new sessions always go to
// the caller's own tenant). A session of another tenant, or of an agent the key may not use, answers exactly as an
// unknown id: 404 with the same body.
import { SwiftletError, isValidSessionId, isValidTenant, type SessionInfo } from '../../core/index.js';
import type { RequestCtx } from '../http.js';
import type { Caller, GatewayContext } from '../types.js';

export type Access = 'read' | 'write';

/** The tenant named by `?tenant=`, checked against what the caller may do; the caller's own when absent. */
export function tenantParam(c: RequestCtx, access: Access): string | undefined {
  const named = c.query.get('tenant');
  if (named === null) return undefined;
  if (!isValidTenant(named)) {
    throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', 'tenant: 1-64 letters, digits, "_" or "-"', {
      field: 'tenant',
    });
  }
  if (named === c.caller.tenant) return named;
  if (!c.caller.admin) {
    throw new SwiftletError('SWIFTLET_ERR_FORBIDDEN', 'tenant: only an admin key may name another tenant', {
      field: 'tenant',
    });
  }
  if (access === 'write') {
    throw new SwiftletError(
      'SWIFTLET_ERR_INVALID_INPUT',
      "tenant: an admin key reads, interrupts and deletes other tenants' sessions; it runs turns in its own tenant",
      { field: 'tenant' },
    );
  }
  return named;
}

export function sessionTenant(c: RequestCtx, access: Access): string {
  return tenantParam(c, access) ?? c.caller.tenant;
}

/** The answer for a session the caller cannot see, whether it exists in another tenant, for another agent, or not. */
export function noSession(id: string): SwiftletError {
  return new SwiftletError('SWIFTLET_ERR_SESSION_NOT_FOUND', `no session ${id}`, { field: 'id' });
}

/** True when the caller's key may use the agent (no allow list: every agent). */
export function mayUse(caller: Caller, agent: string): boolean {
  const allowed = caller.key?.agents;
  return allowed === undefined || allowed.includes(agent);
}

/** The session named in the path, in the tenant the request reaches, if the caller may use its agent; else 404. */
export async function requireSession(ctx: GatewayContext, c: RequestCtx, access: Access): Promise<SessionInfo> {
  const id = c.params.id ?? '';
  const tenant = sessionTenant(c, access);
  const info = isValidSessionId(id) ? await ctx.runtime.getSession(id, { tenant }) : undefined;
  if (!info || !mayUse(c.caller, info.agent)) throw noSession(id);
  return info;
}
