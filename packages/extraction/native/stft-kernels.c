/*
 * Float64 STFT kernels for @polytask/extraction, compiled to WebAssembly with SIMD.
 * Two frames are transformed at once, one in each lane of an f64x2 vector, so every step of
 * the FFT is plain scalar code on vectors (only the frame load shuffles lanes), and each frame
 * sees exactly the arithmetic of a scalar float64 FFT (radix-2/4 decimation in time over a half-size complex
 * FFT, twiddles computed by the caller with Math.cos / Math.sin).
 * The module has no data and allocates nothing: the caller lays out every table and buffer
 * in the exported memory and passes byte offsets.
 * Build: node scripts/build-native-stft.mjs (needs clang and wasm-ld 14 or later).
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

typedef double v2d __attribute__((vector_size(16), aligned(16)));

static inline v2d splat(double value) { return (v2d){value, value}; }

/*
 * The tables of one FFT size n (a power of two, n >= 2; m = n / 2 complex points):
 *   window[n]            the analysis window, zero-padded to n
 *   reverse[m]           bit reversal of 0..m-1 (int32)
 *   twiddles[...]        per radix-4 stage after the first, of span s (s = 2 or 4, then × 4 while 4s <= m):
 *                        for k < s, cos and sin of 2πk/(4s), 2π2k/(4s), 2π3k/(4s) (6 doubles)
 *   post[2 (m + 1)]      cos and sin of 2πk/n for k = 0..m (the real-input split)
 *   work[2 m]            v2d scratch: real parts, then imaginary parts
 *   power[m + 1]         v2d scratch: |X_k|² of both frames
 */
typedef struct {
  int32_t size;
  const double *window;
  const int32_t *reverse;
  const double *twiddles;
  const double *post;
  v2d *work;
  v2d *power;
} Plan;

/* Sample j of the half-size complex input of both frames: x[2j] + i x[2j+1], windowed. */
static inline void input_point(const Plan *plan, const float *first, const float *second, int j, v2d *real, v2d *imaginary) {
  const v128_t window = wasm_v128_load(plan->window + 2 * j);
  const v128_t a = wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(wasm_v128_load64_zero(first + 2 * j)), window);
  const v128_t b = wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(wasm_v128_load64_zero(second + 2 * j)), window);
  *real = (v2d)wasm_i64x2_shuffle(a, b, 0, 2);
  *imaginary = (v2d)wasm_i64x2_shuffle(a, b, 1, 3);
}

/*
 * Loads two windowed frames (one per lane) as m complex points z_j = x[2j] + i x[2j+1] into
 * bit-reversed order and runs the first FFT stage on the way, which needs no twiddles: radix 2
 * when log2 m is odd (z_j and z_{j+m/2} land at r and r + 1, r = reverse[j]), else radix 4
 * (z_j, z_{j+m/2}, z_{j+m/4}, z_{j+3m/4} land at r .. r + 3). Returns the span done.
 */
static int load_first_stage(const Plan *plan, const float *first, const float *second) {
  const int m = plan->size >> 1;
  v2d *re = plan->work;
  v2d *im = plan->work + m;
  const int32_t *reverse = plan->reverse;
  if (m == 1) {
    input_point(plan, first, second, 0, re, im);
    return 1;
  }
  int log2 = 0;
  while ((1 << log2) < m) log2++;
  if (log2 & 1) {
    const int half = m >> 1;
    for (int j = 0; j < half; j++) {
      const int r = reverse[j];
      v2d ar, ai, br, bi;
      input_point(plan, first, second, j, &ar, &ai);
      input_point(plan, first, second, j + half, &br, &bi);
      re[r] = ar + br;
      im[r] = ai + bi;
      re[r + 1] = ar - br;
      im[r + 1] = ai - bi;
    }
    return 2;
  }
  const int quarter = m >> 2;
  for (int j = 0; j < quarter; j++) {
    const int r = reverse[j];
    v2d p0r, p0i, p1r, p1i, p2r, p2i, p3r, p3i;
    input_point(plan, first, second, j, &p0r, &p0i);
    input_point(plan, first, second, j + quarter, &p1r, &p1i);
    input_point(plan, first, second, j + 2 * quarter, &p2r, &p2i);
    input_point(plan, first, second, j + 3 * quarter, &p3r, &p3i);
    const v2d t0r = p0r + p2r, t0i = p0i + p2i;
    const v2d t1r = p0r - p2r, t1i = p0i - p2i;
    const v2d t2r = p1r + p3r, t2i = p1i + p3i;
    const v2d t3r = p1r - p3r, t3i = p1i - p3i;
    re[r] = t0r + t2r;
    im[r] = t0i + t2i;
    re[r + 2] = t0r - t2r;
    im[r + 2] = t0i - t2i;
    re[r + 1] = t1r + t3i;
    im[r + 1] = t1i - t3r;
    re[r + 3] = t1r - t3i;
    im[r + 3] = t1i + t3r;
  }
  return 4;
}

/*
 * The radix-4 stages after the first, in place: the four blocks of `span` points at base,
 * base + s, base + 2s and base + 3s hold the DFTs of the residues 0, 2, 1, 3 (mod 4), and
 * become one DFT of 4s points, in natural order after the last stage.
 */
static void radix4_stages(const Plan *plan, int span) {
  const int m = plan->size >> 1;
  v2d *re = plan->work;
  v2d *im = plan->work + m;
  const double *twiddle = plan->twiddles;
  for (; 4 * span <= m; span *= 4) {
    const int s = span;
    for (int block = 0; block < m; block += 4 * s) {
      v2d *r0 = re + block, *i0 = im + block;
      /* k = 0: every twiddle is 1 */
      {
        const v2d p0r = r0[0], p0i = i0[0], p2r = r0[s], p2i = i0[s];
        const v2d p1r = r0[2 * s], p1i = i0[2 * s], p3r = r0[3 * s], p3i = i0[3 * s];
        const v2d t0r = p0r + p2r, t0i = p0i + p2i, t1r = p0r - p2r, t1i = p0i - p2i;
        const v2d t2r = p1r + p3r, t2i = p1i + p3i, t3r = p1r - p3r, t3i = p1i - p3i;
        r0[0] = t0r + t2r;
        i0[0] = t0i + t2i;
        r0[2 * s] = t0r - t2r;
        i0[2 * s] = t0i - t2i;
        r0[s] = t1r + t3i;
        i0[s] = t1i - t3r;
        r0[3 * s] = t1r - t3i;
        i0[3 * s] = t1i + t3r;
      }
      const double *t = twiddle + 6;
      for (int k = 1; k < s; k++, t += 6) {
        const v2d c1 = splat(t[0]), s1 = splat(t[1]), c2 = splat(t[2]), s2 = splat(t[3]), c3 = splat(t[4]), s3 = splat(t[5]);
        const v2d p0r = r0[k], p0i = i0[k];
        const v2d p2r = r0[k + s], p2i = i0[k + s];
        const v2d p1r = r0[k + 2 * s], p1i = i0[k + 2 * s];
        const v2d p3r = r0[k + 3 * s], p3i = i0[k + 3 * s];
        /* a_r = W^{rk} P_r with W = e^{-2πi/(4s)}: (x + iy)(c - is) = (xc + ys) + i(yc - xs) */
        const v2d a1r = p1r * c1 + p1i * s1, a1i = p1i * c1 - p1r * s1;
        const v2d a2r = p2r * c2 + p2i * s2, a2i = p2i * c2 - p2r * s2;
        const v2d a3r = p3r * c3 + p3i * s3, a3i = p3i * c3 - p3r * s3;
        const v2d t0r = p0r + a2r, t0i = p0i + a2i;
        const v2d t1r = p0r - a2r, t1i = p0i - a2i;
        const v2d t2r = a1r + a3r, t2i = a1i + a3i;
        const v2d t3r = a1r - a3r, t3i = a1i - a3i;
        r0[k] = t0r + t2r;
        i0[k] = t0i + t2i;
        r0[k + 2 * s] = t0r - t2r;
        i0[k + 2 * s] = t0i - t2i;
        r0[k + s] = t1r + t3i;
        i0[k + s] = t1i - t3r;
        r0[k + 3 * s] = t1r - t3i;
        i0[k + 3 * s] = t1i + t3r;
      }
    }
    twiddle += 6 * span;
  }
}

/*
 * |X_k|² for k = 0..m of both frames from the half-size complex spectrum Z, bins k and m - k
 * together: with E = Z_k + conj Z_{m-k}, O = -i (Z_k - conj Z_{m-k}) and e^{-2πik/n} = c - is,
 * 2 X_k = E + (c - is) O and 2 X_{m-k} = conj E - (c + is) conj O.
 */
static void power_spectrum(const Plan *plan) {
  const int m = plan->size >> 1;
  const v2d *re = plan->work;
  const v2d *im = plan->work + m;
  const double *post = plan->post;
  v2d *power = plan->power;
  const v2d quarter = splat(0.25);
  for (int k = 1; 2 * k <= m; k++) {
    const v2d zr = re[k], zi = im[k], mr = re[m - k], mi = im[m - k];
    const v2d evenReal = zr + mr, evenImaginary = zi - mi;
    const v2d oddReal = zi + mi, oddImaginary = mr - zr;
    const v2d c = splat(post[2 * k]), s = splat(post[2 * k + 1]);
    const v2d turnedReal = c * oddReal + s * oddImaginary;
    const v2d turnedImaginary = c * oddImaginary - s * oddReal;
    const v2d real = evenReal + turnedReal, imaginary = evenImaginary + turnedImaginary;
    const v2d mirrorReal = evenReal - turnedReal, mirrorImaginary = turnedImaginary - evenImaginary;
    power[m - k] = quarter * (mirrorReal * mirrorReal + mirrorImaginary * mirrorImaginary);
    power[k] = quarter * (real * real + imaginary * imaginary);
  }
  const v2d sum = re[0] + im[0], difference = re[0] - im[0];
  power[0] = sum * sum;
  power[m] = difference * difference;
}

static void transform_pair(const Plan *plan, const float *first, const float *second) {
  radix4_stages(plan, load_first_stage(plan, first, second));
  power_spectrum(plan);
}

/*
 * Mel (or any sparse band) power of `frames` frames starting every `hop` samples of `signal`
 * (already padded): out[f][b] = Σ weights[start[b] + i] · |X_f(firstBin[b] + i)|².
 */
EXPORT(stft_bands)
void stft_bands(int32_t size, const double *window, const int32_t *reverse, const double *twiddles, const double *post, v2d *work,
                v2d *power, const float *signal, int32_t frames, int32_t hop, int32_t bands, const int32_t *firstBin,
                const int32_t *start, const double *weights, double *out) {
  const Plan plan = {size, window, reverse, twiddles, post, work, power};
  for (int frame = 0; frame < frames; frame += 2) {
    const int second = frame + 1 < frames ? frame + 1 : frame;
    transform_pair(&plan, signal + (long)frame * hop, signal + (long)second * hop);
    double *rowA = out + (long)frame * bands;
    double *rowB = out + (long)second * bands;
    for (int band = 0; band < bands; band++) {
      const int end = start[band + 1];
      const v2d *bin = power + firstBin[band];
      v2d sum = splat(0.0);
      for (int index = start[band]; index < end; index++, bin++) sum += splat(weights[index]) * *bin;
      rowB[band] = sum[1];
      rowA[band] = sum[0];
    }
  }
}

/* Power spectrogram out[f][k] = |X_f(k)|² (k = 0..size/2), or the magnitude when `magnitude` is 1. */
EXPORT(stft_power)
void stft_power(int32_t size, const double *window, const int32_t *reverse, const double *twiddles, const double *post, v2d *work,
                v2d *power, const float *signal, int32_t frames, int32_t hop, int32_t magnitude, double *out) {
  const Plan plan = {size, window, reverse, twiddles, post, work, power};
  const int bins = (size >> 1) + 1;
  for (int frame = 0; frame < frames; frame += 2) {
    const int second = frame + 1 < frames ? frame + 1 : frame;
    transform_pair(&plan, signal + (long)frame * hop, signal + (long)second * hop);
    double *rowA = out + (long)frame * bins;
    double *rowB = out + (long)second * bins;
    for (int k = 0; k < bins; k++) {
      const v2d value = magnitude ? (v2d)wasm_f64x2_sqrt((v128_t)power[k]) : power[k];
      rowB[k] = value[1];
      rowA[k] = value[0];
    }
  }
}

/*
 * Natural logarithm of both lanes of x (positive, normal or subnormal, finite), to within a few
 * ulp: x = 2^e · r with r in [√½, √2), ln r = 2 atanh(f) with f = (r - 1) / (r + 1), |f| < 0.172,
 * summed as an odd series to f^21 (the next term is below 2e-17 of the sum).
 */
static inline v2d natural_log(v2d x) {
  const v128_t tiny = wasm_f64x2_lt((v128_t)x, wasm_f64x2_splat(0x1p-1022));
  x = (v2d)wasm_v128_bitselect((v128_t)(x * splat(0x1p54)), (v128_t)x, tiny);
  const v128_t bits = (v128_t)x;
  /* the biased exponent as a double: its bits OR 2^52, minus 2^52 */
  const v2d biased = (v2d)wasm_v128_or(wasm_u64x2_shr(bits, 52), wasm_i64x2_splat(0x4330000000000000LL)) - splat(0x1p52);
  v2d r = (v2d)wasm_v128_or(wasm_v128_and(bits, wasm_i64x2_splat(0x000FFFFFFFFFFFFFLL)), wasm_i64x2_splat(0x3FF0000000000000LL));
  const v128_t high = wasm_f64x2_gt((v128_t)r, wasm_f64x2_splat(1.4142135623730951));
  r = (v2d)wasm_v128_bitselect((v128_t)(r * splat(0.5)), (v128_t)r, high);
  v2d exponent = biased - splat(1023.0) + (v2d)wasm_v128_and(high, wasm_f64x2_splat(1.0));
  exponent -= (v2d)wasm_v128_and(tiny, wasm_f64x2_splat(54.0));
  const v2d f = (r - splat(1.0)) / (r + splat(1.0));
  const v2d f2 = f * f;
  v2d series = splat(1.0 / 21);
  series = series * f2 + splat(1.0 / 19);
  series = series * f2 + splat(1.0 / 17);
  series = series * f2 + splat(1.0 / 15);
  series = series * f2 + splat(1.0 / 13);
  series = series * f2 + splat(1.0 / 11);
  series = series * f2 + splat(1.0 / 9);
  series = series * f2 + splat(1.0 / 7);
  series = series * f2 + splat(1.0 / 5);
  series = series * f2 + splat(1.0 / 3);
  series = series * f2;
  /* ln 2 split so exponent · LN2_HIGH is exact */
  const v2d logR = splat(2.0) * f + splat(2.0) * f * series;
  return exponent * splat(6.93147180369123816490e-01) + (logR + exponent * splat(1.90821492927058770002e-10));
}

/* Lanes that are infinite or NaN keep x (log of +inf is +inf, of NaN is NaN); the others take value. */
static inline v2d keep_non_finite(v2d value, v2d x) {
  return (v2d)wasm_v128_bitselect((v128_t)value, (v128_t)x, wasm_f64x2_eq((v128_t)(x - x), wasm_f64x2_splat(0.0)));
}

/*
 * In place, values[i] = 10 log10(max(minimum, values[i])) - offset, as librosa's power_to_db
 * before its top_db floor; returns the largest result (-inf when there is none; NaN is skipped).
 */
EXPORT(decibels)
double decibels(double *values, int32_t count, double minimum, double offset) {
  const v2d scale = splat(4.342944819032518); /* 10 / ln 10 */
  v128_t largest = wasm_f64x2_splat(-__builtin_inf());
  for (int index = 0; index < count; index += 2) {
    const int last = index + 1 < count ? index + 1 : index;
    const v2d x = (v2d)wasm_f64x2_max(wasm_f64x2_make(values[index], values[last]), wasm_f64x2_splat(minimum));
    const v2d result = keep_non_finite(natural_log(x) * scale, x) - splat(offset);
    largest = wasm_f64x2_pmax(largest, (v128_t)result);
    values[last] = result[1];
    values[index] = result[0];
  }
  const double high = wasm_f64x2_extract_lane(largest, 1), low = wasm_f64x2_extract_lane(largest, 0);
  return low < high ? high : low;
}

/* In place, values[i] = ln(values[i] + offset) (offset >= 0; log of 0 is -inf, of a negative NaN). */
EXPORT(natural_logs)
void natural_logs(double *values, int32_t count, double offset) {
  for (int index = 0; index < count; index += 2) {
    const int last = index + 1 < count ? index + 1 : index;
    const v2d x = (v2d){values[index], values[last]} + splat(offset);
    v2d result = keep_non_finite(natural_log(x), x);
    /* zero and negative inputs: the series above assumes x > 0 */
    result = (v2d)wasm_v128_bitselect(wasm_f64x2_splat(-__builtin_inf()), (v128_t)result, wasm_f64x2_eq((v128_t)x, wasm_f64x2_splat(0.0)));
    result = (v2d)wasm_v128_bitselect(wasm_f64x2_splat(__builtin_nan("")), (v128_t)result, wasm_f64x2_lt((v128_t)x, wasm_f64x2_splat(0.0)));
    values[last] = result[1];
    values[index] = result[0];
  }
}
