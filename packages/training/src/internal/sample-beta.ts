/**
 * Gamma and Beta draws from a uniform generator, for mixup's λ ~ Beta(α, α) (not exported):
 * Gamma by Marsaglia and Tsang (2000), Beta as X / (X + Y) of two Gamma draws.
 */
import type { RandomSource } from '@polytask/core';

/** A standard normal draw (Box–Muller; the second value is discarded so each call is one pure draw sequence). */
export function sampleNormal(random: RandomSource): number {
  // 1 − u is in (0, 1], so the logarithm is finite
  const radius = Math.sqrt(-2 * Math.log(1 - random()));
  return radius * Math.cos(2 * Math.PI * random());
}

/**
 * A Gamma(shape, 1) draw by Marsaglia–Tsang; shapes below 1 use Gamma(shape + 1) · U^(1/shape).
 * @example sampleGamma(createRandom(1), 2.5)
 */
export function sampleGamma(random: RandomSource, shape: number): number {
  if (shape < 1) return sampleGamma(random, shape + 1) * (1 - random()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = sampleNormal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/**
 * A Beta(alpha, beta) draw as X / (X + Y) with X ~ Gamma(alpha), Y ~ Gamma(beta).
 * @example const lambda = sampleBeta(random, 0.4, 0.4);
 */
export function sampleBeta(random: RandomSource, alpha: number, beta: number): number {
  const x = sampleGamma(random, alpha);
  const y = sampleGamma(random, beta);
  // both underflow to 0 only for tiny shapes: a fair coin between the ends, as the limit
  if (x + y === 0) return random() < alpha / (alpha + beta) ? 1 : 0;
  return x / (x + y);
}
