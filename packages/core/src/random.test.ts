import { describe, expect, it } from 'vitest';
import { createRandom, shuffleInPlace } from './random';

describe('createRandom', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    const first = createRandom(7);
    const second = createRandom(7);
    const sequence = Array.from({ length: 5 }, first);
    expect(Array.from({ length: 5 }, second)).toEqual(sequence);
    expect(Array.from({ length: 5 }, createRandom(8))).not.toEqual(sequence);
    for (const value of sequence) expect(value >= 0 && value < 1).toBe(true);
  });

  it('is roughly uniform', () => {
    const random = createRandom(1);
    const buckets = new Array(10).fill(0);
    for (let index = 0; index < 10000; index++) buckets[Math.floor(random() * 10)]++;
    for (const count of buckets) expect(Math.abs(count - 1000)).toBeLessThan(120);
  });

  it('shuffles deterministically, keeping every element', () => {
    const shuffled = shuffleInPlace([1, 2, 3, 4, 5, 6, 7, 8], createRandom(3));
    expect([...shuffled].sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(shuffleInPlace([1, 2, 3, 4, 5, 6, 7, 8], createRandom(3))).toEqual(shuffled);
  });
});
