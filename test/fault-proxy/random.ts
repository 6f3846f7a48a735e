/**
 * A stand-in for Math.random that gives the same rolls run after run, so a test of a rule with a
 * `probability` fails or passes the same way every time. A 32-bit linear congruential generator:
 * plenty for choosing which requests fail, no use for anything secret.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}
