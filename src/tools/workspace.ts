// An agent's workspace: the one folder its `files` and `shell` tools may touch. Each tenant has a folder of its own in
// it (`<workspace>/<tenant>`), so that one tenant's sessions never see another's files. Created on first use.
import { constants } from 'node:fs';
import { lstat, mkdir, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { SwiftletError } from '../core/index.js';

const created = new Map<string, Promise<string>>();

/**
 * The tenant's folder in the workspace, created (mode 0700) on first use, as a real path (symlinks resolved): what
 * every confined path is compared with.
 */
export function workspaceRoot(workspace: string, tenant: string): Promise<string> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(tenant)) {
    return Promise.reject(new SwiftletError('SWIFTLET_ERR_INTERNAL', `not a tenant name: ${JSON.stringify(tenant)}`));
  }
  const dir = join(resolve(workspace), tenant);
  let root = created.get(dir);
  if (!root) {
    root = mkdir(dir, { recursive: true, mode: 0o700 }).then(() => realpath(dir));
    root.catch(() => created.delete(dir));
    created.set(dir, root);
  }
  return root;
}

/** Whether `path` (absolute, real) is `root` or inside it. */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Resolves a path the model gave, relative to the workspace root, to a real path inside it. Refused
 * (SWIFTLET_ERR_TOOL_DENIED): absolute paths, NUL bytes, and anything that leads out of the root, through `..` or a
 * symbolic link anywhere along the way. A path that does not exist yet (a file about to be written) is resolved
 * through its nearest existing parent, which must be inside the root; its remaining parts must not be `..`.
 */
export async function confine(root: string, path: string): Promise<string> {
  if (path.includes('\0')) throw denied(path, 'it contains a NUL byte');
  if (isAbsolute(path) || /^[A-Za-z]:[\\/]/.test(path)) throw denied(path, 'absolute paths are not allowed');
  const wanted = resolve(root, path === '' ? '.' : path);
  if (!isInside(root, wanted)) throw denied(path, 'it leads out of the workspace');
  // The longest existing prefix, resolved through its links, must stay inside; what is left is created later.
  let existing = wanted;
  const rest: string[] = [];
  for (;;) {
    try {
      await lstat(existing);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      rest.unshift(existing.slice(existing.lastIndexOf(sep) + 1));
      existing = existing.slice(0, existing.lastIndexOf(sep)) || sep;
    }
  }
  const real = await realpath(existing);
  if (!isInside(root, real)) throw denied(path, 'it leads out of the workspace (through a symbolic link)');
  return rest.length === 0 ? real : join(real, ...rest);
}

function denied(path: string, why: string): SwiftletError {
  return new SwiftletError('SWIFTLET_ERR_TOOL_DENIED', `path ${JSON.stringify(path)} refused: ${why}`);
}

/** Flags for opening a file that must not be a symbolic link (the last hop of a confined path is checked again). */
export const NO_FOLLOW = constants.O_NOFOLLOW;
