// undici's internal module for its connection Pool (see src/model/http.ts): the same class the package exports.
declare module 'undici/lib/dispatcher/pool.js' {
  import type { Pool } from 'undici';
  const PoolClass: typeof Pool;
  export default PoolClass;
}
