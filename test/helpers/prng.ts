/** Deterministic pseudo-random numbers in [0, 1), so a failure of a randomised test can be replayed from its seed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}
