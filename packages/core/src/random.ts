/**
 * A small seeded pseudo-random generator (mulberry32) so that sampling, splitting and
 * shuffling are reproducible from a seed.
 */

/** Returns numbers in [0, 1), the same sequence for the same seed. */
export type RandomSource = () => number;

/**
 * Creates a seeded generator.
 * @example const random = createRandom(42); random(); // 0.6011...
 */
export function createRandom(seed: number): RandomSource {
  let state = Math.trunc(seed) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffles `values` in place (Fisher-Yates) with `random`; returns it. */
export function shuffleInPlace<Value>(values: Value[] | Int32Array, random: RandomSource): typeof values {
  for (let index = values.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    const held = values[index] as Value;
    values[index] = values[other] as Value;
    values[other] = held;
  }
  return values;
}
