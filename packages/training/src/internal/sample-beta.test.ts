import { createRandom } from '@polytask/core';
import { describe, expect, it } from 'vitest';
import { sampleBeta, sampleGamma, sampleNormal } from './sample-beta';

const moments = (values: number[]) => {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
  return { mean, variance };
};

describe('sampleNormal, sampleGamma, sampleBeta', () => {
  it('draw with the moments of their distributions', () => {
    const random = createRandom(11);
    const normal = moments(Array.from({ length: 20000 }, () => sampleNormal(random)));
    expect(normal.mean).toBeCloseTo(0, 1);
    expect(normal.variance).toBeCloseTo(1, 1);
    for (const shape of [0.3, 1, 4.5]) {
      // Gamma(k, 1): mean k, variance k
      const gamma = moments(Array.from({ length: 20000 }, () => sampleGamma(random, shape)));
      expect(Math.abs(gamma.mean - shape) / shape).toBeLessThan(0.05);
      expect(Math.abs(gamma.variance - shape) / shape).toBeLessThan(0.1);
    }
    for (const alpha of [0.2, 1, 2]) {
      // Beta(α, α): mean 1/2, variance 1 / (4 (2α + 1)); every draw in [0, 1]
      const draws = Array.from({ length: 20000 }, () => sampleBeta(random, alpha, alpha));
      expect(draws.every((value) => value >= 0 && value <= 1)).toBe(true);
      const beta = moments(draws);
      expect(beta.mean).toBeCloseTo(0.5, 1.5);
      expect(Math.abs(beta.variance - 1 / (4 * (2 * alpha + 1)))).toBeLessThan(0.01);
    }
  });

  it('gives the same draws for the same seed', () => {
    const draw = (seed: number) => {
      const random = createRandom(seed);
      return Array.from({ length: 5 }, () => sampleBeta(random, 0.4, 0.4));
    };
    expect(draw(3)).toEqual(draw(3));
    expect(draw(3)).not.toEqual(draw(4));
  });
});
