/*
 * SIMD kernels for training on @tensorflow/tfjs-backend-wasm, compiled to a small WebAssembly
 * module that imports the backend's own memory, so every pointer below is a tensor's offset in
 * that memory and nothing is copied. The module has no data, no stack use and no allocation:
 * scratch space is allocated by the caller through the backend's malloc.
 * Build: node scripts/build-native-kernels.mjs (needs clang and wasm-ld 14 or later).
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

/*
 * c + a * b for the products' accumulators: one fused multiply-add where the module is built with
 * relaxed SIMD (the runtime then picks FMA on hardware that has it, so the last bit may differ
 * between machines), a multiply and an add otherwise. Each sum still runs over k in order.
 */
#ifdef __wasm_relaxed_simd__
#define MULTIPLY_ADD(a, b, c) ((v128_t)__builtin_wasm_relaxed_madd_f32x4((__f32x4)(a), (__f32x4)(b), (__f32x4)(c)))
#else
#define MULTIPLY_ADD(a, b, c) wasm_f32x4_add(c, wasm_f32x4_mul(a, b))
#endif

/*
 * One depth step of the 4 x 8 register tile: accumulators s00 .. s31 (row, half) of the enclosing
 * scope += the 4 rows' values a0 .. a3 (splatted) times the 8 columns b0 (0-3) and b1 (4-7).
 */
#define TILE_4X8_STEP(a0, a1, a2, a3, b0, b1) \
  do {                                        \
    s00 = MULTIPLY_ADD(a0, b0, s00);          \
    s01 = MULTIPLY_ADD(a0, b1, s01);          \
    s10 = MULTIPLY_ADD(a1, b0, s10);          \
    s11 = MULTIPLY_ADD(a1, b1, s11);          \
    s20 = MULTIPLY_ADD(a2, b0, s20);          \
    s21 = MULTIPLY_ADD(a2, b1, s21);          \
    s30 = MULTIPLY_ADD(a3, b0, s30);          \
    s31 = MULTIPLY_ADD(a3, b1, s31);          \
  } while (0)

/* out[b][c][r] = in[b][r][c] for each of `batch` row-major [rows, cols] matrices. */
EXPORT(transpose_batched)
void transpose_batched(const float *in, float *out, int batch, int rows, int cols) {
  const int rows4 = rows & ~3, cols4 = cols & ~3;
  for (int b = 0; b < batch; b++) {
    const float *source = in + (long)b * rows * cols;
    float *target = out + (long)b * rows * cols;
    for (int r0 = 0; r0 < rows4; r0 += 32) {
      const int r1 = r0 + 32 < rows4 ? r0 + 32 : rows4;
      for (int c0 = 0; c0 < cols4; c0 += 32) {
        const int c1 = c0 + 32 < cols4 ? c0 + 32 : cols4;
        for (int r = r0; r < r1; r += 4) {
          for (int c = c0; c < c1; c += 4) {
            v128_t a = wasm_v128_load(source + (long)r * cols + c);
            v128_t b1 = wasm_v128_load(source + (long)(r + 1) * cols + c);
            v128_t c2 = wasm_v128_load(source + (long)(r + 2) * cols + c);
            v128_t d = wasm_v128_load(source + (long)(r + 3) * cols + c);
            v128_t ab_lo = wasm_i32x4_shuffle(a, b1, 0, 4, 1, 5);
            v128_t ab_hi = wasm_i32x4_shuffle(a, b1, 2, 6, 3, 7);
            v128_t cd_lo = wasm_i32x4_shuffle(c2, d, 0, 4, 1, 5);
            v128_t cd_hi = wasm_i32x4_shuffle(c2, d, 2, 6, 3, 7);
            wasm_v128_store(target + (long)c * rows + r, wasm_i64x2_shuffle(ab_lo, cd_lo, 0, 2));
            wasm_v128_store(target + (long)(c + 1) * rows + r, wasm_i64x2_shuffle(ab_lo, cd_lo, 1, 3));
            wasm_v128_store(target + (long)(c + 2) * rows + r, wasm_i64x2_shuffle(ab_hi, cd_hi, 0, 2));
            wasm_v128_store(target + (long)(c + 3) * rows + r, wasm_i64x2_shuffle(ab_hi, cd_hi, 1, 3));
          }
        }
      }
    }
    for (int r = 0; r < rows; r++) {
      const int start = r < rows4 ? cols4 : 0;
      for (int c = start; c < cols; c++) target[(long)c * rows + r] = source[(long)r * cols + c];
    }
  }
}

/* out[c] = scale * sum over r of in[r][c]: a reduction over the leading axes. */
EXPORT(sum_leading)
void sum_leading(const float *in, float *out, int rows, int cols, float scale) {
  const int cols4 = cols & ~3;
  for (int c = 0; c < cols; c++) out[c] = 0.0f;
  /* blocks of rows keep the partial sums short for accuracy */
  for (int r0 = 0; r0 < rows; r0 += 256) {
    const int r1 = r0 + 256 < rows ? r0 + 256 : rows;
    for (int c = 0; c < cols4; c += 4) {
      v128_t total = wasm_f32x4_splat(0.0f);
      for (int r = r0; r < r1; r++) total = wasm_f32x4_add(total, wasm_v128_load(in + (long)r * cols + c));
      wasm_v128_store(out + c, wasm_f32x4_add(wasm_v128_load(out + c), total));
    }
    for (int c = cols4; c < cols; c++) {
      float total = 0.0f;
      for (int r = r0; r < r1; r++) total += in[(long)r * cols + c];
      out[c] += total;
    }
  }
  if (scale != 1.0f)
    for (int c = 0; c < cols; c++) out[c] *= scale;
}

/* The in-bounds rows (or columns) [start, end) of the pooling window at output index `o`. */
static inline void window_bounds(int o, int stride, int pad, int filter, int size, int *start, int *end) {
  const int first = o * stride - pad;
  *start = first < 0 ? 0 : first;
  *end = first + filter < size ? first + filter : size;
}

/*
 * Gradient of a 2-D max pool in NHWC: each output gradient goes to the first position that holds
 * its window's maximum (windows scanned row by row, as tfjs does); padded positions never win.
 */
EXPORT(max_pool_grad)
void max_pool_grad(const float *dy, const float *x, float *dx, int batch, int height, int width, int channels,
                   int out_height, int out_width, int filter_height, int filter_width, int stride_height,
                   int stride_width, int pad_top, int pad_left) {
  const long size = (long)batch * height * width * channels;
  /* windows that tile the input without overlap or gaps (stride = size, e.g. 2 x 2 pooling of even
     sizes): each window writes its whole area below (the gradient at its maximum, zeros elsewhere),
     so the zeroing pass over dx is left out; the values are the same */
  const int tiled = stride_height == filter_height && stride_width == filter_width && pad_top == 0 && pad_left == 0 &&
                    out_height * stride_height == height && out_width * stride_width == width;
  if (!tiled)
    for (long i = 0; i < size; i++) dx[i] = 0.0f;
  for (int n = 0; n < batch; n++) {
    const float *image = x + (long)n * height * width * channels;
    float *gradient = dx + (long)n * height * width * channels;
    for (int oy = 0; oy < out_height; oy++) {
      int y_start, y_end;
      window_bounds(oy, stride_height, pad_top, filter_height, height, &y_start, &y_end);
      for (int ox = 0; ox < out_width; ox++) {
        int x_start, x_end;
        window_bounds(ox, stride_width, pad_left, filter_width, width, &x_start, &x_end);
        const float *incoming = dy + (((long)n * out_height + oy) * out_width + ox) * channels;
        const int channels4 = channels & ~3;
        for (int c = 0; c < channels4; c += 4) {
          v128_t best = wasm_f32x4_splat(-__builtin_inff());
          v128_t where = wasm_i32x4_splat(-1);
          for (int y = y_start; y < y_end; y++)
            for (int xx = x_start; xx < x_end; xx++) {
              const int at = (y * width + xx) * channels + c;
              const v128_t value = wasm_v128_load(image + at);
              const v128_t greater = wasm_f32x4_gt(value, best);
              best = wasm_v128_bitselect(value, best, greater);
              where = wasm_v128_bitselect(wasm_i32x4_add(wasm_i32x4_splat(at), wasm_i32x4_make(0, 1, 2, 3)), where, greater);
            }
          if (tiled)
            for (int y = y_start; y < y_end; y++)
              for (int xx = x_start; xx < x_end; xx++) wasm_v128_store(gradient + (y * width + xx) * channels + c, wasm_f32x4_splat(0.0f));
          const int w0 = wasm_i32x4_extract_lane(where, 0), w1 = wasm_i32x4_extract_lane(where, 1);
          const int w2 = wasm_i32x4_extract_lane(where, 2), w3 = wasm_i32x4_extract_lane(where, 3);
          if (w0 >= 0) gradient[w0] += incoming[c];
          if (w1 >= 0) gradient[w1] += incoming[c + 1];
          if (w2 >= 0) gradient[w2] += incoming[c + 2];
          if (w3 >= 0) gradient[w3] += incoming[c + 3];
        }
        for (int c = channels4; c < channels; c++) {
          float best = -__builtin_inff();
          long where = -1;
          if (tiled)
            for (int y = y_start; y < y_end; y++)
              for (int xx = x_start; xx < x_end; xx++) gradient[((long)y * width + xx) * channels + c] = 0.0f;
          for (int y = y_start; y < y_end; y++)
            for (int xx = x_start; xx < x_end; xx++) {
              const long at = ((long)y * width + xx) * channels + c;
              if (image[at] > best) {
                best = image[at];
                where = at;
              }
            }
          if (where >= 0) gradient[where] += incoming[c];
        }
      }
    }
  }
}

/* One Adam step with the same float32 arithmetic as tfjs's AdamOptimizer. */
EXPORT(adam_update)
void adam_update(const float *value, const float *gradient, const float *first, const float *second, float *value_out,
                 float *first_out, float *second_out, int size, float learning_rate, float beta1, float beta2,
                 float one_minus_beta1, float one_minus_beta2, float one_minus_acc_beta1, float one_minus_acc_beta2,
                 float epsilon) {
  const v128_t b1 = wasm_f32x4_splat(beta1), b2 = wasm_f32x4_splat(beta2);
  const v128_t c1 = wasm_f32x4_splat(one_minus_beta1), c2 = wasm_f32x4_splat(one_minus_beta2);
  const v128_t a1 = wasm_f32x4_splat(one_minus_acc_beta1), a2 = wasm_f32x4_splat(one_minus_acc_beta2);
  const v128_t e = wasm_f32x4_splat(epsilon), rate = wasm_f32x4_splat(-learning_rate);
  const int size4 = size & ~3;
  for (int i = 0; i < size4; i += 4) {
    const v128_t g = wasm_v128_load(gradient + i);
    const v128_t m = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(first + i), b1), wasm_f32x4_mul(g, c1));
    const v128_t v = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(second + i), b2), wasm_f32x4_mul(wasm_f32x4_mul(g, g), c2));
    wasm_v128_store(first_out + i, m);
    wasm_v128_store(second_out + i, v);
    const v128_t step = wasm_f32x4_div(wasm_f32x4_div(m, a1), wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_div(v, a2)), e));
    wasm_v128_store(value_out + i, wasm_f32x4_add(wasm_f32x4_mul(step, rate), wasm_v128_load(value + i)));
  }
  for (int i = size4; i < size; i++) {
    const float g = gradient[i];
    const float m = first[i] * beta1 + g * one_minus_beta1;
    const float v = second[i] * beta2 + (g * g) * one_minus_beta2;
    first_out[i] = m;
    second_out[i] = v;
    value_out[i] = ((m / one_minus_acc_beta1) / (__builtin_sqrtf(v / one_minus_acc_beta2) + epsilon)) * -learning_rate + value[i];
  }
}

static void matmul_tiles(float *out, const float *left, int left_row_stride, int left_column_stride, const float *right,
                         const float *bias, int rows, int columns, int depth, int relu, int accumulate);

/*
 * Filter gradient of a 2-D convolution in NHWC:
 *   dw[ky][kx][ci][co] = sum over n, oy, ox of x[n][oy*sh + ky*dh - pt][ox*sw + kx*dw - pl][ci] * dy[n][oy][ox][co].
 * Pixels are taken `chunk` at a time: their patches are gathered into `scratch` in blocks of 4
 * patch elements ([patch_stride / 4][chunk][4], zero-padded), so that each block is a contiguous
 * left operand of 4 rows for the register-tiled product (matmul_tiles), which adds the block's
 * rows of dw: dw[p][co] += sum over the chunk's pixels q of patch[q][p] * dy[q][co], in pixel order.
 * `patch_stride` is the patch size rounded up to 4. Only output pixels [pixel_begin, pixel_end)
 * contribute, so threads can each sum a share into their own dw.
 */
EXPORT(conv2d_filter_grad)
void conv2d_filter_grad(const float *x, const float *dy, float *dw, float *scratch, int batch, int height, int width,
                        int in_channels, int out_height, int out_width, int out_channels, int filter_height,
                        int filter_width, int stride_height, int stride_width, int dilation_height,
                        int dilation_width, int pad_top, int pad_left, int chunk, int pixel_begin, int pixel_end) {
  const int patch = filter_height * filter_width * in_channels;
  const int patch_stride = (patch + 3) & ~3;
  const int channels4 = in_channels & ~3;
  const long all_pixels = (long)batch * out_height * out_width;
  const long pixels = all_pixels < pixel_end ? all_pixels : pixel_end;
  for (long i = 0; i < (long)patch * out_channels; i++) dw[i] = 0.0f;
  /* the pixel's position, advanced pixel by pixel (a 64-bit division per pixel cost more than the gathering) */
  int ox = (int)(pixel_begin % out_width), oy = (int)((pixel_begin / out_width) % out_height);
  int n = (int)(pixel_begin / ((long)out_width * out_height));
  for (long p0 = pixel_begin; p0 < pixels; p0 += chunk) {
    const int count = (int)(pixels - p0 < chunk ? pixels - p0 : chunk);
    /* gather the patches: element p of pixel q's patch at scratch[(p / 4) * chunk * 4 + q * 4 + p % 4] */
    for (int q = 0; q < count; q++) {
      float *column = scratch + (long)q * 4;
      int k = 0;
      const int y_first = oy * stride_height - pad_top, x_first = ox * stride_width - pad_left;
      if (in_channels == 1 && stride_width == 1 && q + 4 <= count && ox + 4 <= out_width && y_first >= 0 &&
          y_first + (filter_height - 1) * dilation_height < height && x_first >= 0 &&
          x_first + 3 + (filter_width - 1) * dilation_width < width) {
        /* one channel, four neighbouring pixels inside the image: each tap's four values are one
           vector (consecutive input columns), transposed 4 x 4 into the pixels' blocks */
        const float *origin = x + ((long)n * height + y_first) * width + x_first;
        int ky = 0, kx = 0;
        for (int block = 0; block < patch_stride / 4; block++) {
          v128_t taps[4];
          for (int r = 0; r < 4; r++) {
            if (4 * block + r < patch) {
              taps[r] = wasm_v128_load(origin + (long)ky * dilation_height * width + (long)kx * dilation_width);
              if (++kx == filter_width) {
                kx = 0;
                ky++;
              }
            } else {
              taps[r] = wasm_f32x4_splat(0.0f);
            }
          }
          const v128_t low01 = wasm_i32x4_shuffle(taps[0], taps[1], 0, 4, 1, 5);
          const v128_t high01 = wasm_i32x4_shuffle(taps[0], taps[1], 2, 6, 3, 7);
          const v128_t low23 = wasm_i32x4_shuffle(taps[2], taps[3], 0, 4, 1, 5);
          const v128_t high23 = wasm_i32x4_shuffle(taps[2], taps[3], 2, 6, 3, 7);
          float *target = column + (long)block * chunk * 4;
          wasm_v128_store(target, wasm_i64x2_shuffle(low01, low23, 0, 2));
          wasm_v128_store(target + 4, wasm_i64x2_shuffle(low01, low23, 1, 3));
          wasm_v128_store(target + 8, wasm_i64x2_shuffle(high01, high23, 0, 2));
          wasm_v128_store(target + 12, wasm_i64x2_shuffle(high01, high23, 1, 3));
        }
        q += 3;
        ox += 3;
        if (++ox == out_width) {
          ox = 0;
          if (++oy == out_height) {
            oy = 0;
            n++;
          }
        }
        continue;
      }
      if (y_first >= 0 && y_first + (filter_height - 1) * dilation_height < height && x_first >= 0 &&
          x_first + (filter_width - 1) * dilation_width < width) {
        /* every tap inside the image (most pixels): no bounds to check */
        for (int ky = 0; ky < filter_height; ky++) {
          const float *line = x + (((long)n * height + y_first + ky * dilation_height) * width + x_first) * in_channels;
          for (int kx = 0; kx < filter_width; kx++) {
            const float *source = line + (long)kx * dilation_width * in_channels;
            if (channels4 == in_channels)
              for (int c = 0; c < in_channels; c += 4, k += 4) wasm_v128_store(column + (long)(k >> 2) * chunk * 4, wasm_v128_load(source + c));
            else
              for (int c = 0; c < in_channels; c++, k++) column[(long)(k >> 2) * chunk * 4 + (k & 3)] = source[c];
          }
        }
      } else {
        for (int ky = 0; ky < filter_height; ky++) {
          const int y = oy * stride_height + ky * dilation_height - pad_top;
          for (int kx = 0; kx < filter_width; kx++) {
            const int xx = ox * stride_width + kx * dilation_width - pad_left;
            const int inside = y >= 0 && y < height && xx >= 0 && xx < width;
            const float *source = x + (((long)n * height + y) * width + xx) * in_channels;
            if (channels4 == in_channels) {
              /* a tap's channels fill whole blocks */
              for (int c = 0; c < in_channels; c += 4, k += 4)
                wasm_v128_store(column + (long)(k >> 2) * chunk * 4, inside ? wasm_v128_load(source + c) : wasm_f32x4_splat(0.0f));
            } else {
              for (int c = 0; c < in_channels; c++, k++) column[(long)(k >> 2) * chunk * 4 + (k & 3)] = inside ? source[c] : 0.0f;
            }
          }
        }
      }
      for (; k < patch_stride; k++) column[(long)(k >> 2) * chunk * 4 + (k & 3)] = 0.0f;
      if (++ox == out_width) {
        ox = 0;
        if (++oy == out_height) {
          oy = 0;
          n++;
        }
      }
    }
    /* each block of 4 patch elements: dw[4b .. 4b + 3][co] += its rows times the chunk's rows of dy */
    for (int block = 0; block < patch_stride / 4; block++) {
      const int rows = patch - 4 * block < 4 ? patch - 4 * block : 4;
      matmul_tiles(dw + (long)block * 4 * out_channels, scratch + (long)block * chunk * 4, 1, 4, dy + p0 * out_channels, 0, rows,
                   out_channels, count, 0, 1);
    }
  }
}

/*
 * out[m][n] = sum over k of left[m * left_row_stride + k * left_column_stride] * right[k][n], plus
 * out[m][n] itself when `accumulate` is set, plus bias[n] when bias is not null, then max(0, .)
 * when relu is set. right is row-major [depth][columns];
 * the left operand's strides allow it to be read transposed. 4 x 8 register tiles, column
 * panels outermost so a panel of `right` stays in cache across all rows.
 */
static inline void finish(float *target, v128_t value, const float *bias, int relu, int accumulate) {
  if (accumulate) value = wasm_f32x4_add(value, wasm_v128_load(target));
  if (bias) value = wasm_f32x4_add(value, wasm_v128_load(bias));
  if (relu) value = wasm_f32x4_max(value, wasm_f32x4_splat(0.0f));
  wasm_v128_store(target, value);
}

static inline void finish1(float *target, float total, const float *bias, int n, int relu, int accumulate) {
  if (accumulate) total += *target;
  if (bias) total += bias[n];
  if (relu && !(total != total) && total < 0.0f) total = 0.0f;
  *target = total;
}

static void matmul_tiles(float *out, const float *left, int left_row_stride, int left_column_stride, const float *right,
                         const float *bias, int rows, int columns, int depth, int relu, int accumulate) {
  const int columns8 = columns & ~7, columns4 = columns & ~3;
  for (int n = 0; n < columns8; n += 8) {
    for (int m = 0; m < rows; m += 4) {
      const int last = rows - 1;
      const float *l0 = left + (long)m * left_row_stride;
      const float *l1 = left + (long)(m + 1 < last ? m + 1 : last) * left_row_stride;
      const float *l2 = left + (long)(m + 2 < last ? m + 2 : last) * left_row_stride;
      const float *l3 = left + (long)(m + 3 < last ? m + 3 : last) * left_row_stride;
      v128_t s00 = wasm_f32x4_splat(0.0f), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
      const float *b = right + n;
      long at = 0;
      for (int k = 0; k < depth; k++) {
        const v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
        const v128_t a0 = wasm_v128_load32_splat(l0 + at), a1 = wasm_v128_load32_splat(l1 + at);
        const v128_t a2 = wasm_v128_load32_splat(l2 + at), a3 = wasm_v128_load32_splat(l3 + at);
        TILE_4X8_STEP(a0, a1, a2, a3, b0, b1);
        b += columns;
        at += left_column_stride;
      }
      const float *bias0 = bias ? bias + n : 0, *bias1 = bias ? bias + n + 4 : 0;
      float *target = out + (long)m * columns + n;
      finish(target, s00, bias0, relu, accumulate);
      finish(target + 4, s01, bias1, relu, accumulate);
      if (m + 1 < rows) {
        finish(target + columns, s10, bias0, relu, accumulate);
        finish(target + columns + 4, s11, bias1, relu, accumulate);
      }
      if (m + 2 < rows) {
        finish(target + 2 * columns, s20, bias0, relu, accumulate);
        finish(target + 2 * columns + 4, s21, bias1, relu, accumulate);
      }
      if (m + 3 < rows) {
        finish(target + 3 * columns, s30, bias0, relu, accumulate);
        finish(target + 3 * columns + 4, s31, bias1, relu, accumulate);
      }
    }
  }
  for (int n = columns8; n < columns4; n += 4) {
    for (int m = 0; m < rows; m++) {
      const float *l0 = left + (long)m * left_row_stride;
      v128_t s = wasm_f32x4_splat(0.0f);
      const float *b = right + n;
      long at = 0;
      for (int k = 0; k < depth; k++) {
        s = MULTIPLY_ADD(wasm_v128_load32_splat(l0 + at), wasm_v128_load(b), s);
        b += columns;
        at += left_column_stride;
      }
      finish(out + (long)m * columns + n, s, bias ? bias + n : 0, relu, accumulate);
    }
  }
  if (left_column_stride == 1 && columns4 < columns) {
    /* the last columns as dot products along contiguous rows of `left` */
    const int depth4 = depth & ~3;
    for (int m = 0; m < rows; m++) {
      const float *row = left + (long)m * left_row_stride;
      for (int n = columns4; n < columns; n++) {
        v128_t partial = wasm_f32x4_splat(0.0f);
        for (int k = 0; k < depth4; k += 4) {
          const float *b = right + (long)k * columns + n;
          const v128_t other = columns == 1 ? wasm_v128_load(b) : wasm_f32x4_make(b[0], b[columns], b[2 * columns], b[3 * columns]);
          partial = MULTIPLY_ADD(wasm_v128_load(row + k), other, partial);
        }
        float total = (wasm_f32x4_extract_lane(partial, 0) + wasm_f32x4_extract_lane(partial, 1)) +
                      (wasm_f32x4_extract_lane(partial, 2) + wasm_f32x4_extract_lane(partial, 3));
        for (int k = depth4; k < depth; k++) total += row[k] * right[(long)k * columns + n];
        finish1(out + (long)m * columns + n, total, bias, n, relu, accumulate);
      }
    }
    return;
  }
  for (int n = columns4; n < columns; n++) {
    for (int m = 0; m < rows; m++) {
      float total = 0.0f;
      for (int k = 0; k < depth; k++) total += left[(long)m * left_row_stride + (long)k * left_column_stride] * right[(long)k * columns + n];
      finish1(out + (long)m * columns + n, total, bias, n, relu, accumulate);
    }
  }
}

/* Stores the first `count` lanes of `value` as finish1 would (an edge tile's row). */
static inline void finish_lanes(float *target, v128_t value, int count, const float *bias, int n, int relu, int accumulate) {
  if (count > 0) finish1(target, wasm_f32x4_extract_lane(value, 0), bias, n, relu, accumulate);
  if (count > 1) finish1(target + 1, wasm_f32x4_extract_lane(value, 1), bias, n + 1, relu, accumulate);
  if (count > 2) finish1(target + 2, wasm_f32x4_extract_lane(value, 2), bias, n + 2, relu, accumulate);
  if (count > 3) finish1(target + 3, wasm_f32x4_extract_lane(value, 3), bias, n + 3, relu, accumulate);
}

/* One row of a 4 x 8 tile: whole vectors inside the output, lane by lane at its right edge. */
static inline void finish_row(float *target, v128_t low, v128_t high, const float *bias, int n, int valid, int relu,
                              int accumulate) {
  if (valid >= 8) {
    finish(target, low, bias ? bias + n : 0, relu, accumulate);
    finish(target + 4, high, bias ? bias + n + 4 : 0, relu, accumulate);
  } else {
    finish_lanes(target, low, valid, bias, n, relu, accumulate);
    finish_lanes(target + 4, high, valid - 4, bias, n + 4, relu, accumulate);
  }
}

/*
 * Subnormal operands (below 2^-126 in magnitude, such as the gradients of a saturated softmax) as
 * zero: x86 computes with them through slow microcode assists (WebAssembly cannot switch on
 * flush-to-zero), which made whole training steps half as fast. Their products are below 1e-38,
 * far under float32's resolution of the sums they join. NaN and infinities pass unchanged.
 */
static inline v128_t flush4(v128_t value) {
  const v128_t exponent = wasm_v128_and(value, wasm_i32x4_splat(0x7f800000));
  return wasm_v128_andnot(value, wasm_i32x4_eq(exponent, wasm_i32x4_splat(0)));
}

static inline float flush1(float value) { return value > -1.17549435e-38f && value < 1.17549435e-38f ? 0.0f : value; }

/*
 * out[m][n] = sum over k of left[m * left_row_stride + k * left_column_stride] * right[k][n]
 * (+ bias[n], then max(0, .) when relu is set), for the dense layers' products; right[k][n] is
 * right[k * right_row_stride + n * right_column_stride], so either operand can be read transposed. Both operands are
 * first packed into `scratch` so the 4 x 8 register tiles read them contiguously: the left one
 * as blocks of 4 rows ([rows / 4][depth][4], zero rows past the end), the right one an 8-column
 * panel at a time ([depth][8], zero columns past the end). Unpacked, the row strides of layer
 * widths such as 512 floats (2 KiB) map every row to the same few L1 cache sets. Each output is
 * summed over k in order, as in matmul_tiles. Only the output columns [column_begin, column_end)
 * are computed (column_begin a multiple of 8), so threads can each take a share of the panels.
 * `scratch` holds 4 * ceil(rows / 4) * depth + 8 * depth floats. `packed_right`, when not null,
 * holds the right operand already in panels (pack_right), and `right` is not read.
 */
/* The left operand in 4-row blocks ([blocks][depth][4], zero rows past the end), subnormals as zero. */
static void pack_left(float *packed_left, const float *left, int left_row_stride, int left_column_stride, int rows, int depth) {
  const int blocks = (rows + 3) >> 2;
  for (int block = 0; block < blocks; block++) {
    float *target = packed_left + (long)block * 4 * depth;
    const int m0 = block * 4;
    if (left_row_stride == 1 && m0 + 4 <= rows) {
      for (int k = 0; k < depth; k++) wasm_v128_store(target + 4 * k, flush4(wasm_v128_load(left + (long)k * left_column_stride + m0)));
      continue;
    }
    for (int r = 0; r < 4; r++) {
      if (m0 + r < rows) {
        const float *source = left + (long)(m0 + r) * left_row_stride;
        for (int k = 0; k < depth; k++) target[4 * k + r] = flush1(source[(long)k * left_column_stride]);
      } else {
        for (int k = 0; k < depth; k++) target[4 * k + r] = 0.0f;
      }
    }
  }
}

/* The right operand's 8 columns from n on as a panel ([depth][8], zero columns past the end), subnormals as zero. */
static void pack_panel(float *panel, const float *right, int right_row_stride, int right_column_stride, int columns, int depth,
                       int n) {
  const int valid = columns - n < 8 ? columns - n : 8;
  const float *source = right + (long)n * right_column_stride;
  if (valid == 8 && right_column_stride == 1) {
    for (int k = 0; k < depth; k++, source += right_row_stride) {
      wasm_v128_store(panel + 8 * k, flush4(wasm_v128_load(source)));
      wasm_v128_store(panel + 8 * k + 4, flush4(wasm_v128_load(source + 4)));
    }
  } else if (right_row_stride == 1) {
    /* the right operand transposed: each panel column is a contiguous row of the source */
    for (int j = 0; j < 8; j++) {
      const float *line = source + (long)j * right_column_stride;
      if (j < valid)
        for (int k = 0; k < depth; k++) panel[8 * k + j] = flush1(line[k]);
      else
        for (int k = 0; k < depth; k++) panel[8 * k + j] = 0.0f;
    }
  } else {
    for (int k = 0; k < depth; k++, source += right_row_stride)
      for (int j = 0; j < 8; j++) panel[8 * k + j] = j < valid ? flush1(source[(long)j * right_column_stride]) : 0.0f;
  }
}

/*
 * Output columns [column_begin, column_end) of the product from the packed left operand, an
 * 8-column panel at a time: each panel packed into `panel` first, or, when `packed_right` is not
 * null, read from it (pack_right's layout: panel p at packed_right + p * depth * 8).
 */
static void matmul_panels(float *out, const float *packed_left, const float *right, int right_row_stride,
                          int right_column_stride, const float *packed_right, const float *bias, int rows, int columns,
                          int depth, int relu, float *panel, int column_begin, int column_end) {
  const int blocks = (rows + 3) >> 2;
  if (column_end > columns) column_end = columns;
  for (int n = column_begin; n < column_end; n += 8) {
    const int valid = columns - n < 8 ? columns - n : 8;
    const float *b_panel = panel;
    if (packed_right)
      b_panel = packed_right + (long)(n >> 3) * depth * 8;
    else
      pack_panel(panel, right, right_row_stride, right_column_stride, columns, depth, n);
    for (int block = 0; block < blocks; block++) {
      const float *a = packed_left + (long)block * 4 * depth;
      const float *b = b_panel;
      v128_t s00 = wasm_f32x4_splat(0.0f), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
      for (int k = 0; k < depth; k++) {
        const v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
        const v128_t a0 = wasm_v128_load32_splat(a), a1 = wasm_v128_load32_splat(a + 1);
        const v128_t a2 = wasm_v128_load32_splat(a + 2), a3 = wasm_v128_load32_splat(a + 3);
        TILE_4X8_STEP(a0, a1, a2, a3, b0, b1);
        a += 4;
        b += 8;
      }
      const int m = block * 4;
      float *target = out + (long)m * columns + n;
      finish_row(target, s00, s01, bias, n, valid, relu, 0);
      if (m + 1 < rows) finish_row(target + columns, s10, s11, bias, n, valid, relu, 0);
      if (m + 2 < rows) finish_row(target + 2 * columns, s20, s21, bias, n, valid, relu, 0);
      if (m + 3 < rows) finish_row(target + 3 * columns, s30, s31, bias, n, valid, relu, 0);
    }
  }
}

/*
 * The right operand of products to come, packed once into its 8-column panels
 * ([ceil(columns / 8)][depth][8], zero columns past the end, subnormals as zero): a layer's weights
 * for inference, where the same weights meet every batch. matmul and matmul_claimed read it
 * through `packed_right` and compute the same sums as from the unpacked operand.
 */
EXPORT(pack_right)
void pack_right(float *packed_right, const float *right, int right_row_stride, int right_column_stride, int columns,
                int depth) {
  for (int n = 0; n < columns; n += 8)
    pack_panel(packed_right + (long)(n >> 3) * depth * 8, right, right_row_stride, right_column_stride, columns, depth, n);
}

EXPORT(matmul)
void matmul(float *out, const float *left, int left_row_stride, int left_column_stride, const float *right,
            int right_row_stride, int right_column_stride, const float *bias, int rows, int columns, int depth, int relu,
            float *scratch, int column_begin, int column_end, const float *packed_right) {
  float *packed_left = scratch, *panel = scratch + (long)((rows + 3) >> 2) * 4 * depth;
  pack_left(packed_left, left, left_row_stride, left_column_stride, rows, depth);
  matmul_panels(out, packed_left, right, right_row_stride, right_column_stride, packed_right, bias, rows, columns, depth,
                relu, panel, column_begin, column_end);
}

/*
 * matmul for threads sharing one product: each packs the left operand into its own scratch, then
 * claims groups of `group_columns` output columns (a multiple of 8) from `*counter` (0 before the
 * first thread starts) until none are left, so a thread that starts late takes fewer. Every column
 * is computed as matmul computes it, whichever thread takes it.
 */
EXPORT(matmul_claimed)
void matmul_claimed(float *out, const float *left, int left_row_stride, int left_column_stride, const float *right,
                    int right_row_stride, int right_column_stride, const float *bias, int rows, int columns, int depth,
                    int relu, float *scratch, int *counter, int group_columns, const float *packed_right) {
  float *packed_left = scratch, *panel = scratch + (long)((rows + 3) >> 2) * 4 * depth;
  pack_left(packed_left, left, left_row_stride, left_column_stride, rows, depth);
  for (;;) {
    const int begin = __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED) * group_columns;
    if (begin >= columns) break;
    matmul_panels(out, packed_left, right, right_row_stride, right_column_stride, packed_right, bias, rows, columns, depth,
                  relu, panel, begin, begin + group_columns);
  }
}

/*
 * A stride-1, dilation-1 NHWC convolution of a one-channel input (a spectrogram CNN's first layer):
 *   out[n][oy][ox][o] = sum over ky, then kx, of x[n][oy + ky - pad_top][ox + kx - pad_left] * filter[ky][kx][o]
 * over the taps inside the image (as the cpu backend sums), plus bias[o] when bias is not null, then
 * max(0, .) when relu is set. Four neighbouring output pixels of a row at a time: each tap's input
 * values are splatted from memory against 8 (then 4) output channels of the filter, the dense
 * product's register tile; the last channels and pixels whose taps leave the image on the left or
 * right one at a time. Only output rows [row_begin, row_end) (counted across the batch) are
 * computed, so threads can share one convolution.
 */
/*
 * Output channels from channel_begin on of `count` (1 to 4) pixels from input column x_first on,
 * taps outside the image skipped pixel by pixel: 4 channels at a time, then one (its filter value
 * splatted, lane 0 stored: the same rounding as the vector lanes).
 */
static void single_channel_pixels(const float *x, const float *filter, const float *bias, float *out, int height, int width,
                                  int out_channels, int filter_height, int filter_width, int y_first, int x_first, int count,
                                  int relu, int channel_begin) {
  for (int o = channel_begin; o < out_channels;) {
    const int wide = out_channels - o >= 4;
    for (int p = 0; p < count; p++) {
      v128_t total = wasm_f32x4_splat(0.0f);
      for (int ky = 0; ky < filter_height; ky++) {
        const int y = y_first + ky;
        if (y < 0 || y >= height) continue;
        for (int kx = 0; kx < filter_width; kx++) {
          const int column = x_first + p + kx;
          if (column < 0 || column >= width) continue;
          const float *weights = filter + (long)(ky * filter_width + kx) * out_channels + o;
          total = MULTIPLY_ADD(wasm_v128_load32_splat(x + (long)y * width + column),
                               wide ? wasm_v128_load(weights) : wasm_v128_load32_splat(weights), total);
        }
      }
      if (wide)
        finish(out + (long)p * out_channels + o, total, bias ? bias + o : 0, relu, 0);
      else
        finish1(out + (long)p * out_channels + o, wasm_f32x4_extract_lane(total, 0), bias, o, relu, 0);
    }
    o += wide ? 4 : 1;
  }
}

EXPORT(conv2d_single_channel)
void conv2d_single_channel(const float *x, const float *filter, const float *bias, float *out, int height, int width,
                           int out_height, int out_width, int out_channels, int filter_height, int filter_width,
                           int pad_top, int pad_left, int relu, int row_begin, int row_end) {
  for (int row = row_begin; row < row_end; row++) {
    const int n = row / out_height, oy = row % out_height;
    const float *image = x + (long)n * height * width;
    float *line = out + (long)row * out_width * out_channels;
    const int y_first = oy - pad_top;
    int ky_begin = 0, ky_end = filter_height;
    if (y_first < 0) ky_begin = -y_first;
    if (y_first + ky_end > height) ky_end = height - y_first;
    int ox = 0;
    while (ox < out_width) {
      const int x_first = ox - pad_left;
      if (ox + 4 > out_width || x_first < 0 || x_first + 3 + filter_width - 1 >= width) {
        single_channel_pixels(image, filter, bias, line + (long)ox * out_channels, height, width, out_channels, filter_height,
                              filter_width, y_first, x_first, 1, relu, 0);
        ox++;
        continue;
      }
      /* four pixels whose taps are inside the image left and right (rows outside are skipped) */
      float *target = line + (long)ox * out_channels;
      int o = 0;
      for (; o + 8 <= out_channels; o += 8) {
        v128_t s00 = wasm_f32x4_splat(0.0f), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
        for (int ky = ky_begin; ky < ky_end; ky++) {
          const float *a = image + (long)(y_first + ky) * width + x_first;
          const float *b = filter + (long)ky * filter_width * out_channels + o;
          for (int kx = 0; kx < filter_width; kx++, a++, b += out_channels) {
            const v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
            const v128_t a0 = wasm_v128_load32_splat(a), a1 = wasm_v128_load32_splat(a + 1);
            const v128_t a2 = wasm_v128_load32_splat(a + 2), a3 = wasm_v128_load32_splat(a + 3);
            TILE_4X8_STEP(a0, a1, a2, a3, b0, b1);
          }
        }
        finish_row(target + o, s00, s01, bias, o, 8, relu, 0);
        finish_row(target + out_channels + o, s10, s11, bias, o, 8, relu, 0);
        finish_row(target + 2 * out_channels + o, s20, s21, bias, o, 8, relu, 0);
        finish_row(target + 3 * out_channels + o, s30, s31, bias, o, 8, relu, 0);
      }
      for (; o + 4 <= out_channels; o += 4) {
        v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
        for (int ky = ky_begin; ky < ky_end; ky++) {
          const float *a = image + (long)(y_first + ky) * width + x_first;
          const float *b = filter + (long)ky * filter_width * out_channels + o;
          for (int kx = 0; kx < filter_width; kx++, a++, b += out_channels) {
            const v128_t b0 = wasm_v128_load(b);
            s0 = MULTIPLY_ADD(wasm_v128_load32_splat(a), b0, s0);
            s1 = MULTIPLY_ADD(wasm_v128_load32_splat(a + 1), b0, s1);
            s2 = MULTIPLY_ADD(wasm_v128_load32_splat(a + 2), b0, s2);
            s3 = MULTIPLY_ADD(wasm_v128_load32_splat(a + 3), b0, s3);
          }
        }
        const float *bias_o = bias ? bias + o : 0;
        finish(target + o, s0, bias_o, relu, 0);
        finish(target + out_channels + o, s1, bias_o, relu, 0);
        finish(target + 2 * out_channels + o, s2, bias_o, relu, 0);
        finish(target + 3 * out_channels + o, s3, bias_o, relu, 0);
      }
      /* the last channels (fewer than 4), pixel by pixel */
      if (o < out_channels)
        single_channel_pixels(image, filter, bias, target, height, width, out_channels, filter_height, filter_width, y_first,
                              x_first, 4, relu, o);
      ox += 4;
    }
  }
}

/* Element-wise operations: 0 add, 1 subtract, 2 multiply, 3 divide. */
static inline v128_t apply4(int operation, v128_t a, v128_t b) {
  switch (operation) {
    case 0: return wasm_f32x4_add(a, b);
    case 1: return wasm_f32x4_sub(a, b);
    case 2: return wasm_f32x4_mul(a, b);
    default: return wasm_f32x4_div(a, b);
  }
}

static inline float apply1(int operation, float a, float b) {
  switch (operation) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    default: return a / b;
  }
}

/*
 * Broadcasting in one pass: with `full` as [outer][middle][inner] and `small` as [outer][inner],
 * out[o][m][i] = full[o][m][i] (op) small[o][i], or small (op) full when `swap` is set. Equal shapes,
 * scalars, rows, columns and middle axes of ones are all this form.
 */
EXPORT(binary_blocks)
void binary_blocks(int operation, const float *full, const float *small, float *out, int outer, int middle, int inner,
                   int swap) {
  const int inner4 = inner & ~3, middle4 = middle & ~3;
  for (int o = 0; o < outer; o++) {
    const float *block = small + (long)o * inner;
    if (inner == 1) {
      const float *source = full + (long)o * middle;
      float *target = out + (long)o * middle;
      const v128_t other = wasm_v128_load32_splat(block);
      for (int m = 0; m < middle4; m += 4) {
        const v128_t value = wasm_v128_load(source + m);
        wasm_v128_store(target + m, swap ? apply4(operation, other, value) : apply4(operation, value, other));
      }
      for (int m = middle4; m < middle; m++) target[m] = swap ? apply1(operation, block[0], source[m]) : apply1(operation, source[m], block[0]);
      continue;
    }
    for (int m = 0; m < middle; m++) {
      const float *source = full + ((long)o * middle + m) * inner;
      float *target = out + ((long)o * middle + m) * inner;
      for (int i = 0; i < inner4; i += 4) {
        const v128_t value = wasm_v128_load(source + i), other = wasm_v128_load(block + i);
        wasm_v128_store(target + i, swap ? apply4(operation, other, value) : apply4(operation, value, other));
      }
      for (int i = inner4; i < inner; i++) target[i] = swap ? apply1(operation, block[i], source[i]) : apply1(operation, source[i], block[i]);
    }
  }
}

/* out[i] = max(0, in[i]) (NaN stays NaN). */
EXPORT(relu)
void relu(const float *in, float *out, int size) {
  const int size4 = size & ~3;
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (int i = 0; i < size4; i += 4) wasm_v128_store(out + i, wasm_f32x4_max(wasm_v128_load(in + i), zero));
  for (int i = size4; i < size; i++) out[i] = in[i] != in[i] ? in[i] : (in[i] > 0.0f ? in[i] : 0.0f);
}

/* e^x for float32 (Cody-Waite reduction and a degree-6 polynomial; within 2 ulp), 0 below -104, inf above 88.8. */
static inline float exp_f32(float x) {
  if (x != x) return x;
  if (x > 88.72284f) return __builtin_inff();
  if (x < -103.97208f) return 0.0f;
  const float n = __builtin_rintf(x * 1.44269504088896341f);
  const float r = (x - n * 0.693145751953125f) - n * 1.428606765330187045e-06f;
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  int exponent = (int)n;
  /* scale by 2^exponent in two steps so subnormal results stay accurate */
  const int half = exponent / 2;
  union { unsigned int bits; float value; } first = {(unsigned int)(half + 127) << 23}, second = {(unsigned int)(exponent - half + 127) << 23};
  return p * first.value * second.value;
}

/* Softmax over the last axis of a row-major [rows, columns] matrix. */
EXPORT(softmax)
void softmax(const float *logits, float *out, int rows, int columns) {
  for (int r = 0; r < rows; r++) {
    const float *row = logits + (long)r * columns;
    float *target = out + (long)r * columns;
    float largest = -__builtin_inff();
    for (int c = 0; c < columns; c++) largest = row[c] > largest ? row[c] : largest;
    float total = 0.0f;
    for (int c = 0; c < columns; c++) {
      target[c] = exp_f32(row[c] - largest);
      total += target[c];
    }
    const float inverse = 1.0f / total;
    for (int c = 0; c < columns; c++) target[c] *= inverse;
  }
}

/* Gradient of relu: dx = dy where x > 0, else 0 (NaN where x is NaN, as tfjs's step gives). */
EXPORT(relu_grad)
void relu_grad(const float *dy, const float *x, float *dx, int size) {
  const int size4 = size & ~3;
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (int i = 0; i < size4; i += 4) {
    const v128_t value = wasm_v128_load(x + i);
    const v128_t passed = wasm_v128_bitselect(wasm_v128_load(dy + i), zero, wasm_f32x4_gt(value, zero));
    wasm_v128_store(dx + i, wasm_v128_bitselect(value, passed, wasm_f32x4_ne(value, value)));
  }
  for (int i = size4; i < size; i++) dx[i] = x[i] != x[i] ? x[i] : (x[i] > 0.0f ? dy[i] : 0.0f);
}

/* step: 1 where x > 0, `alpha` elsewhere, NaN where x is NaN (tfjs's Step). */
EXPORT(step)
void step(const float *in, float *out, int size, float alpha) {
  const int size4 = size & ~3;
  const v128_t one = wasm_f32x4_splat(1.0f), other = wasm_f32x4_splat(alpha), zero = wasm_f32x4_splat(0.0f);
  for (int i = 0; i < size4; i += 4) {
    const v128_t value = wasm_v128_load(in + i);
    const v128_t result = wasm_v128_bitselect(one, other, wasm_f32x4_gt(value, zero));
    wasm_v128_store(out + i, wasm_v128_bitselect(value, result, wasm_f32x4_ne(value, value)));
  }
  for (int i = size4; i < size; i++) out[i] = in[i] != in[i] ? in[i] : (in[i] > 0.0f ? 1.0f : alpha);
}

/*
 * 3 x 3 convolution with stride 1 in NHWC by Winograd's F(2 x 2, 3 x 3): each 2 x 2 block of
 * outputs takes 16 products per input and output channel instead of 36. Tiles of 4 x 4 inputs
 * are transformed (B^T d B), multiplied per transform position with the transformed filter
 * (G g G^T) by the register-tiled product, and transformed back (A^T m A), plus bias and relu.
 * The input channel count must be a multiple of 4. `scratch` holds 16 * (in_channels * out_channels +
 * chunk * (in_channels + out_channels)) floats; `chunk` tiles are done at a time. Only tiles
 * [tile_begin, tile_end) are computed (tiles are numbered by image, row, column; each covers
 * 2 x 2 outputs), so threads can share one convolution.
 * out[n][oy][ox][o] = sum of x[n][oy + ky - pad_top][ox + kx - pad_left][c] * filter[ky][kx][c][o].
 */
/* The next tile in image, row, column order. */
static inline void advance_tile(int *tx, int *ty, int *n, int tiles_x, int tiles_y) {
  if (++*tx == tiles_x) {
    *tx = 0;
    if (++*ty == tiles_y) {
      *ty = 0;
      ++*n;
    }
  }
}

EXPORT(conv2d_winograd)
void conv2d_winograd(const float *x, const float *filter, const float *bias, float *out, float *scratch, int batch,
                     int height, int width, int in_channels, int out_height, int out_width, int out_channels, int pad_top,
                     int pad_left, int relu, int chunk, int tile_begin, int tile_end) {
  const int ci = in_channels, co = out_channels;
  float *u = scratch;                                  /* [16][ci][co] */
  float *v = u + 16L * ci * co;                        /* [16][chunk][ci] */
  float *m = v + 16L * chunk * ci;                     /* [16][chunk][co] */
  /* filter transform: u = G g G^T with G = [[1,0,0],[.5,.5,.5],[.5,-.5,.5],[0,0,1]] */
  for (int c = 0; c < ci; c++) {
    for (int o = 0; o < co; o++) {
      float g[3][3], t[4][3];
      for (int ky = 0; ky < 3; ky++)
        for (int kx = 0; kx < 3; kx++) g[ky][kx] = filter[((long)(ky * 3 + kx) * ci + c) * co + o];
      for (int k = 0; k < 3; k++) {
        t[0][k] = g[0][k];
        t[1][k] = 0.5f * (g[0][k] + g[1][k] + g[2][k]);
        t[2][k] = 0.5f * (g[0][k] - g[1][k] + g[2][k]);
        t[3][k] = g[2][k];
      }
      for (int r = 0; r < 4; r++) {
        const float a = t[r][0], b = t[r][1], d = t[r][2];
        u[((long)(r * 4 + 0) * ci + c) * co + o] = a;
        u[((long)(r * 4 + 1) * ci + c) * co + o] = 0.5f * (a + b + d);
        u[((long)(r * 4 + 2) * ci + c) * co + o] = 0.5f * (a - b + d);
        u[((long)(r * 4 + 3) * ci + c) * co + o] = d;
      }
    }
  }
  const int tiles_y = (out_height + 1) / 2, tiles_x = (out_width + 1) / 2;
  const long tiles = (long)batch * tiles_y * tiles_x < tile_end ? (long)batch * tiles_y * tiles_x : tile_end;
  const v128_t zero = wasm_f32x4_splat(0.0f);
  for (long t0 = tile_begin; t0 < tiles; t0 += chunk) {
    const int count = (int)(tiles - t0 < chunk ? tiles - t0 : chunk);
    /* input transform: v = B^T d B with B^T = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]] */
    /* tile positions advanced tile by tile (no 64-bit division per tile) */
    int tx = (int)(t0 % tiles_x), ty = (int)((t0 / tiles_x) % tiles_y), n = (int)(t0 / ((long)tiles_x * tiles_y));
    const int first_tx = tx, first_ty = ty, first_n = n;
    for (int q = 0; q < count; q++, advance_tile(&tx, &ty, &n, tiles_x, tiles_y)) {
      const int y0 = ty * 2 - pad_top, x0 = tx * 2 - pad_left;
      const float *image = x + (long)n * height * width * ci;
      for (int c = 0; c < ci; c += 4) {
        v128_t d[4][4];
        for (int r = 0; r < 4; r++)
          for (int k = 0; k < 4; k++) {
            const int y = y0 + r, xx = x0 + k;
            d[r][k] = (y >= 0 && y < height && xx >= 0 && xx < width) ? wasm_v128_load(image + ((long)y * width + xx) * ci + c) : zero;
          }
        v128_t e[4][4];
        for (int k = 0; k < 4; k++) {
          e[0][k] = wasm_f32x4_sub(d[0][k], d[2][k]);
          e[1][k] = wasm_f32x4_add(d[1][k], d[2][k]);
          e[2][k] = wasm_f32x4_sub(d[2][k], d[1][k]);
          e[3][k] = wasm_f32x4_sub(d[1][k], d[3][k]);
        }
        for (int r = 0; r < 4; r++) {
          float *base = v + (long)q * ci + c;
          const long plane = (long)chunk * ci;
          wasm_v128_store(base + (r * 4 + 0) * plane, wasm_f32x4_sub(e[r][0], e[r][2]));
          wasm_v128_store(base + (r * 4 + 1) * plane, wasm_f32x4_add(e[r][1], e[r][2]));
          wasm_v128_store(base + (r * 4 + 2) * plane, wasm_f32x4_sub(e[r][2], e[r][1]));
          wasm_v128_store(base + (r * 4 + 3) * plane, wasm_f32x4_sub(e[r][1], e[r][3]));
        }
      }
    }
    /* one product per transform position */
    for (int p = 0; p < 16; p++)
      matmul_tiles(m + (long)p * chunk * co, v + (long)p * chunk * ci, ci, 1, u + (long)p * ci * co, 0, count, co, ci, 0, 0);
    /* output transform: y = A^T m A with A^T = [[1,1,1,0],[0,1,-1,-1]] */
    tx = first_tx, ty = first_ty, n = first_n;
    for (int q = 0; q < count; q++, advance_tile(&tx, &ty, &n, tiles_x, tiles_y)) {
      const int oy = ty * 2, ox = tx * 2;
      float *target = out + (long)n * out_height * out_width * co;
      const int co4 = co & ~3;
      for (int o = co4; o < co; o++) {
        float t[2][4];
        const long plane = (long)chunk * co;
        const float *base = m + (long)q * co + o;
        for (int k = 0; k < 4; k++) {
          const float m0 = base[(0 * 4 + k) * plane], m1 = base[(1 * 4 + k) * plane];
          const float m2 = base[(2 * 4 + k) * plane], m3 = base[(3 * 4 + k) * plane];
          t[0][k] = m0 + m1 + m2;
          t[1][k] = m1 - m2 - m3;
        }
        const float offset = bias ? bias[o] : 0.0f;
        for (int r = 0; r < 2 && oy + r < out_height; r++) {
          float y0 = t[r][0] + t[r][1] + t[r][2] + offset, y1 = t[r][1] - t[r][2] - t[r][3] + offset;
          if (relu) {
            y0 = y0 != y0 || y0 > 0.0f ? y0 : 0.0f;
            y1 = y1 != y1 || y1 > 0.0f ? y1 : 0.0f;
          }
          float *row = target + ((long)(oy + r) * out_width + ox) * co + o;
          row[0] = y0;
          if (ox + 1 < out_width) row[co] = y1;
        }
      }
      for (int o = 0; o < co4; o += 4) {
        v128_t s[2][4];
        for (int k = 0; k < 4; k++) {
          const long plane = (long)chunk * co;
          const float *base = m + (long)q * co + o;
          const v128_t m0 = wasm_v128_load(base + (0 * 4 + k) * plane), m1 = wasm_v128_load(base + (1 * 4 + k) * plane);
          const v128_t m2 = wasm_v128_load(base + (2 * 4 + k) * plane), m3 = wasm_v128_load(base + (3 * 4 + k) * plane);
          s[0][k] = wasm_f32x4_add(wasm_f32x4_add(m0, m1), m2);
          s[1][k] = wasm_f32x4_sub(wasm_f32x4_sub(m1, m2), m3);
        }
        const v128_t offset = bias ? wasm_v128_load(bias + o) : zero;
        for (int r = 0; r < 2; r++) {
          if (oy + r >= out_height) break;
          v128_t y0v = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(s[r][0], s[r][1]), s[r][2]), offset);
          v128_t y1v = wasm_f32x4_add(wasm_f32x4_sub(wasm_f32x4_sub(s[r][1], s[r][2]), s[r][3]), offset);
          if (relu) {
            y0v = wasm_f32x4_max(y0v, zero);
            y1v = wasm_f32x4_max(y1v, zero);
          }
          float *row = target + ((long)(oy + r) * out_width + ox) * co + o;
          wasm_v128_store(row, y0v);
          if (ox + 1 < out_width) wasm_v128_store(row + co, y1v);
        }
      }
    }
  }
}

/*
 * Batch normalisation over the last axis: out = (x - mean[c]) * scale[c] / sqrt(variance[c] + epsilon)
 * + offset[c], for x as [rows][channels]; scale and offset may be null (1 and 0).
 */
EXPORT(batch_norm)
void batch_norm(const float *x, const float *mean, const float *variance, const float *offset, const float *scale,
                float *out, float *factors, int rows, int channels, float epsilon) {
  /* factors: [channels] multipliers then [channels] shifts, so the pass is x * a + b */
  float *multiplier = factors, *shift = factors + channels;
  for (int c = 0; c < channels; c++) {
    multiplier[c] = (scale ? scale[c] : 1.0f) / __builtin_sqrtf(variance[c] + epsilon);
    shift[c] = (offset ? offset[c] : 0.0f) - mean[c] * multiplier[c];
  }
  const int channels4 = channels & ~3;
  for (int r = 0; r < rows; r++) {
    const float *source = x + (long)r * channels;
    float *target = out + (long)r * channels;
    for (int c = 0; c < channels4; c += 4)
      wasm_v128_store(target + c, wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(source + c), wasm_v128_load(multiplier + c)),
                                                 wasm_v128_load(shift + c)));
    for (int c = channels4; c < channels; c++) target[c] = source[c] * multiplier[c] + shift[c];
  }
}

/* out[c] = sum over rows r of dy[r][c] * (x[r][c] - mean[c]): the batch-norm gradient's one reduction. */
EXPORT(centred_product_sum)
void centred_product_sum(const float *dy, const float *x, const float *mean, float *out, int rows, int channels) {
  const int channels4 = channels & ~3;
  for (int c = 0; c < channels; c++) out[c] = 0.0f;
  for (int r0 = 0; r0 < rows; r0 += 256) {
    const int r1 = r0 + 256 < rows ? r0 + 256 : rows;
    for (int c = 0; c < channels4; c += 4) {
      const v128_t centre = wasm_v128_load(mean + c);
      v128_t total = wasm_f32x4_splat(0.0f);
      for (int r = r0; r < r1; r++) {
        const long at = (long)r * channels + c;
        total = wasm_f32x4_add(total, wasm_f32x4_mul(wasm_v128_load(dy + at), wasm_f32x4_sub(wasm_v128_load(x + at), centre)));
      }
      wasm_v128_store(out + c, wasm_f32x4_add(wasm_v128_load(out + c), total));
    }
    for (int c = channels4; c < channels; c++) {
      float total = 0.0f;
      for (int r = r0; r < r1; r++) total += dy[(long)r * channels + c] * (x[(long)r * channels + c] - mean[c]);
      out[c] += total;
    }
  }
}

/*
 * 2-D max pool in NHWC over images [image_begin, image_end): each output is the largest in-bounds
 * value of its window (padding never wins; NaN never replaces a value, as on tfjs's cpu backend).
 */
EXPORT(max_pool)
void max_pool(const float *x, float *out, int height, int width, int channels, int out_height, int out_width,
              int filter_height, int filter_width, int stride_height, int stride_width, int pad_top, int pad_left,
              int image_begin, int image_end) {
  const int channels4 = channels & ~3;
  for (int n = image_begin; n < image_end; n++) {
    const float *image = x + (long)n * height * width * channels;
    float *target = out + (long)n * out_height * out_width * channels;
    for (int oy = 0; oy < out_height; oy++) {
      int y_start, y_end;
      window_bounds(oy, stride_height, pad_top, filter_height, height, &y_start, &y_end);
      for (int ox = 0; ox < out_width; ox++) {
        int x_start, x_end;
        window_bounds(ox, stride_width, pad_left, filter_width, width, &x_start, &x_end);
        float *cell = target + ((long)oy * out_width + ox) * channels;
        for (int c = 0; c < channels4; c += 4) {
          v128_t best = wasm_f32x4_splat(-__builtin_inff());
          for (int y = y_start; y < y_end; y++)
            for (int xx = x_start; xx < x_end; xx++) {
              const v128_t value = wasm_v128_load(image + ((long)y * width + xx) * channels + c);
              best = wasm_v128_bitselect(value, best, wasm_f32x4_gt(value, best));
            }
          wasm_v128_store(cell + c, best);
        }
        for (int c = channels4; c < channels; c++) {
          float best = -__builtin_inff();
          for (int y = y_start; y < y_end; y++)
            for (int xx = x_start; xx < x_end; xx++) {
              const float value = image[((long)y * width + xx) * channels + c];
              if (value > best) best = value;
            }
          cell[c] = best;
        }
      }
    }
  }
}
