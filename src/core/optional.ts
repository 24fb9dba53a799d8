import { SwiftletError } from './errors.js';

/**
 * Loads an optional dependency for a feature the config turned on. Such packages (gRPC, NATS) are not installed with
 * Swiftlet; when one is missing, the feature fails to start with a line that says what to install, rather than with
 * a module resolution error. `load` holds the literal `import()`, so that the bundler keeps it lazy and external.
 */
export async function importOptional<T>(
  load: () => Promise<T>,
  packages: readonly string[],
  feature: { what: string; field: string },
): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const e = err as { code?: string; message?: string };
    const missing =
      (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') &&
      packages.some((p) => e.message?.includes(`'${p}'`) || e.message?.includes(`"${p}"`));
    if (!missing) throw err;
    throw new SwiftletError(
      'SWIFTLET_ERR_CONFIG_INVALID',
      `${feature.what} needs ${packages.join(', ')}, not installed with Swiftlet: npm install ${packages.join(' ')}`,
      { field: feature.field },
    );
  }
}
