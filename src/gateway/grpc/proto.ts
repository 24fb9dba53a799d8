// Where broker.proto is: `proto/` at the package's root, found by walking up from this module, which sits at
// different depths in the sources (src/gateway/grpc) and in the bundle (dist, dist/chunks).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SwiftletError } from '../../core/index.js';

/** The proto's path under the include root, as `import` statements of other protos would name it. */
export const BROKER_PROTO = 'swiftlet/broker/v1/broker.proto';

/** The service's full name in the loaded package definition. */
export const BROKER_SERVICE = 'swiftlet.broker.v1.Broker';

/** The include root holding BROKER_PROTO (the package's `proto/` folder). */
export function protoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const root = join(dir, 'proto');
    if (existsSync(join(root, BROKER_PROTO))) return root;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new SwiftletError('SWIFTLET_ERR_INTERNAL', `${BROKER_PROTO} is missing from this installation of Swiftlet`);
}
