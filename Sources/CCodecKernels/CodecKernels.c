#include "CodecKernels.h"
#include <math.h>
#include <malloc.h>
#include "codec_vectors.h"

#if defined(__x86_64__)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CLONES
#endif
#define MAX_ALPHA 16
#define PANEL 32

/// AVX-512 (32 registers) holds the whole 8 x 32 tile's sums: 16 vectors of 16. With AVX2's 16 registers
/// those are 32 halves, and most lived on the stack; there the tile is taken as four 4 x 16 quarters
/// (8 registers of sums), each its own pass over a stretch of k: decode 4.7x -> 10.2x real time on a
/// 2-core AVX2 EPYC. (A 6-row quarter needs 15 of the 16 registers, and the compiler spilled it.)
static int codec_wide_registers;
/// Rows of b each quarter takes in turn, so that the four passes find them in L1 (128 rows of 32 floats:
/// 16 KB).
#define QUARTER_K 128
__attribute__((constructor)) static void codec_find_registers(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    codec_wide_registers = __builtin_cpu_supports("avx512f");
#endif
}

/// out[row][0..32) = sum_k a[k][row] * b[k * ldb + 0..32) for 8 rows: the register-blocked core.
#define PRODUCT_8x32(a_block, b_rows, ldb_, k_dim, store_row)                       \
    do {                                                                            \
        v16 acc[8][2];                                                              \
        for (long r = 0; r < 8; r++) { acc[r][0] = splat(0.0f); acc[r][1] = splat(0.0f); } \
        if (codec_wide_registers) {                                                 \
            for (long kk = 0; kk < (k_dim); kk++) {                                 \
                const float *brow = (b_rows) + kk * (ldb_);                         \
                v16 b0 = load16(brow), b1 = load16(brow + LANES);                   \
                const float *ak = (a_block) + kk * 8;                               \
                for (long r = 0; r < 8; r++) {                                      \
                    v16 sv = splat(ak[r]);                                          \
                    acc[r][0] += sv * b0;                                           \
                    acc[r][1] += sv * b1;                                           \
                }                                                                   \
            }                                                                       \
        } else {                                                                    \
            for (long k0 = 0; k0 < (k_dim); k0 += QUARTER_K) {                      \
                long k1 = (k_dim) - k0 < QUARTER_K ? (k_dim) : k0 + QUARTER_K;      \
                for (long r0 = 0; r0 < 8; r0 += 4)                                  \
                    for (long h = 0; h < 2; h++) {                                  \
                        v16 q0 = acc[r0][h], q1 = acc[r0 + 1][h], q2 = acc[r0 + 2][h], q3 = acc[r0 + 3][h]; \
                        const float *bcol = (b_rows) + h * LANES, *ak = (a_block) + r0; \
                        for (long kk = k0; kk < k1; kk++) {                         \
                            v16 bv = load16(bcol + kk * (ldb_));                    \
                            const float *a4 = ak + kk * 8;                          \
                            q0 += splat(a4[0]) * bv; q1 += splat(a4[1]) * bv;       \
                            q2 += splat(a4[2]) * bv; q3 += splat(a4[3]) * bv;       \
                        }                                                           \
                        acc[r0][h] = q0; acc[r0 + 1][h] = q1; acc[r0 + 2][h] = q2; acc[r0 + 3][h] = q3; \
                    }                                                               \
            }                                                                       \
        }                                                                           \
        for (long r = 0; r < 8; r++) { store_row(r, acc[r][0], acc[r][1]); }       \
    } while (0)

CLONES
void codec_winograd_panels(const float *x, long ldx, long available, long cin,
                           float *y, long ldy, long cout,
                           const long *start, const long *valid, long tiles, long dilation, long alpha, long m,
                           const float *bt, const float *at, const float *packed_u, const float *bias,
                           const float *snake_alpha, long panel_begin, long panel_end,
                           long block_begin, long block_end, float *scratch) {
    float *v = scratch;                              // [alpha][cin][PANEL]
    float *products = scratch + alpha * cin * PANEL;  // [alpha][cout][PANEL], rows of blocks [block_begin, block_end)
    long blocks = cout / 8;
    for (long panel = panel_begin; panel < panel_end; panel++) {
        long p0 = panel * PANEL;
        long n = tiles - p0 < PANEL ? tiles - p0 : PANEL;

        // Input transform: v[xi][c][lane] = sum_i bt[xi][i] * x[c][start[p0 + lane] + dilation * i].
        for (long c = 0; c < cin; c++) {
            const float *row = x + c * ldx;
            float a = snake_alpha ? snake_alpha[c] : 0.0f, inverse = 1.0f / (a + 1e-9f);
            for (long half = 0; half < PANEL / LANES; half++) {
                v16 g[MAX_ALPHA];
                for (long i = 0; i < alpha; i++) {
                    float gathered[LANES];
                    for (long lane = 0; lane < LANES; lane++) {
                        long p = half * LANES + lane;
                        long index = p < n ? start[p0 + p] + dilation * i : available;
                        gathered[lane] = index < available ? row[index] : 0.0f;
                    }
                    g[i] = load16(gathered);
                    if (snake_alpha) SNAKE16(g[i], a, inverse, g[i]);  // snake(0) = 0: padding stays zero
                }
                for (long xi = 0; xi < alpha; xi++) {
                    const float *k = bt + xi * alpha;
                    v16 sum = splat(0.0f);
                    for (long i = 0; i < alpha; i++)
                        if (k[i] != 0.0f) sum += splat(k[i]) * g[i];
                    store16(v + (xi * cin + c) * PANEL + half * LANES, sum);
                }
            }
        }

        // Products: for each xi, [cout x cin] x [cin x PANEL], 8 rows by 32 columns at a time.
        for (long xi = 0; xi < alpha; xi++) {
            const float *b = v + xi * cin * PANEL;
            for (long block = block_begin; block < block_end; block++) {
                const float *a = packed_u + (xi * blocks + block) * cin * 8;
                float *out = products + (xi * cout + block * 8) * PANEL;
#define STORE_PRODUCT(r, lo, hi) do { store16(out + (r) * PANEL, lo); store16(out + (r) * PANEL + LANES, hi); } while (0)
                PRODUCT_8x32(a, b, PANEL, cin, STORE_PRODUCT);
#undef STORE_PRODUCT
            }
        }

        // Output transform: y[o][start + dilation * j] = bias[o] + sum_xi at[j][xi] * products[xi][o][lane].
        for (long o = block_begin * 8; o < block_end * 8; o++) {
            float *out = y + o * ldy;
            float b = bias ? bias[o] : 0.0f;
            for (long half = 0; half < PANEL / LANES; half++) {
                v16 result[MAX_ALPHA];
                for (long j = 0; j < m; j++) result[j] = splat(b);
                for (long xi = 0; xi < alpha; xi++) {
                    v16 value = load16(products + (xi * cout + o) * PANEL + half * LANES);
                    for (long j = 0; j < m; j++) result[j] += splat(at[j * alpha + xi]) * value;
                }
                float lanes[MAX_ALPHA][LANES];
                for (long j = 0; j < m; j++) store16(lanes[j], result[j]);
                for (long lane = 0; lane < LANES; lane++) {
                    long p = half * LANES + lane;
                    if (p >= n) break;
                    long s0 = start[p0 + p], limit = valid[p0 + p];
                    for (long j = 0; j < limit; j++) out[s0 + dilation * j] = lanes[j][lane];
                }
            }
        }
    }
}

void codec_pack_rows(const float *a, long lda, long m, long k, float *packed) {
    for (long block = 0; block < m / 8; block++)
        for (long kk = 0; kk < k; kk++)
            for (long row = 0; row < 8; row++)
                packed[(block * k + kk) * 8 + row] = a[(block * 8 + row) * lda + kk];
}

CLONES
void codec_conv_panels(const float *packed_w, long cout, long cin, long kernel, long stride, long dilation,
                       const float *x, long ldx, float *y, long ldy, long count, const float *bias, int accumulate,
                       const float *snake_alpha, long panel_begin, long panel_end, float *scratch) {
    long k_dim = cin * kernel;
    for (long panel = panel_begin; panel < panel_end; panel++) {
        long t0 = panel * PANEL;
        long n = count - t0 < PANEL ? count - t0 : PANEL;
        // The im2col columns of this panel: scratch[(c * kernel + j) * 32 + t] = x[c][(t0 + t) * stride + j * dilation].
        for (long c = 0; c < cin; c++) {
            const float *row = x + c * ldx + t0 * stride;
            for (long j = 0; j < kernel; j++) {
                float *dst = scratch + (c * kernel + j) * PANEL;
                const float *src = row + j * dilation;
                if (stride == 1 && n == PANEL) {
                    store16(dst, load16(src));
                    store16(dst + LANES, load16(src + LANES));
                } else {
                    for (long t = 0; t < PANEL; t++) dst[t] = t < n ? src[t * stride] : 0.0f;
                }
            }
            if (snake_alpha) {  // snake(0) = 0, so the zero columns past n stay zero
                float a = snake_alpha[c], inverse = 1.0f / (a + 1e-9f);
                float *first = scratch + c * kernel * PANEL;
                for (long e = 0; e < kernel * PANEL; e += LANES) {
                    v16 value = load16(first + e);
                    SNAKE16(value, a, inverse, value);
                    store16(first + e, value);
                }
            }
        }
        for (long block = 0; block < cout / 8; block++) {
            float *out = y + block * 8 * ldy + t0;
            const float *bb = bias ? bias + block * 8 : 0;
            float tail[8][PANEL];
#define STORE_CONV(r, lo, hi)                                                            \
            do {                                                                         \
                v16 shift = splat(bb ? bb[r] : 0.0f);                                    \
                float *o_ = out + (r) * ldy;                                             \
                if (n == PANEL) {                                                        \
                    v16 lo_ = (lo) + shift, hi_ = (hi) + shift;                          \
                    if (accumulate) { lo_ += load16(o_); hi_ += load16(o_ + LANES); }    \
                    store16(o_, lo_); store16(o_ + LANES, hi_);                          \
                } else {                                                                 \
                    store16(tail[r], (lo) + shift); store16(tail[r] + LANES, (hi) + shift); \
                    for (long t = 0; t < n; t++) o_[t] = (accumulate ? o_[t] : 0.0f) + tail[r][t]; \
                }                                                                        \
            } while (0)
            PRODUCT_8x32(packed_w + block * k_dim * 8, scratch, PANEL, k_dim, STORE_CONV);
#undef STORE_CONV
        }
    }
}

CLONES
void codec_conv_rows(const float *w, long cout, long cin, long kernel, long stride, long dilation,
                     const float *x, long ldx, float *y, long ldy, const float *bias, int accumulate,
                     const float *snake_alpha, long begin, long end) {
    for (long o = 0; o < cout; o++) {
        float *out = y + o * ldy;
        for (long t0 = begin; t0 < end; t0 += LANES) {
            long n = end - t0 < LANES ? end - t0 : LANES;
            v16 sum = splat(bias ? bias[o] : 0.0f);
            for (long c = 0; c < cin; c++) {
                const float *row = x + c * ldx + t0 * stride;
                const float *taps = w + (o * cin + c) * kernel;
                float a = snake_alpha ? snake_alpha[c] : 0.0f, inverse = 1.0f / (a + 1e-9f);
                for (long j = 0; j < kernel; j++) {
                    v16 v;
                    if (stride == 1 && n == LANES) {
                        v = load16(row + j * dilation);
                    } else {
                        float lanes[LANES];
                        for (long i = 0; i < LANES; i++) lanes[i] = i < n ? row[i * stride + j * dilation] : 0.0f;
                        v = load16(lanes);
                    }
                    if (snake_alpha) SNAKE16(v, a, inverse, v);
                    sum += splat(taps[j]) * v;
                }
            }
            float lanes[LANES];
            store16(lanes, sum);
            for (long i = 0; i < n; i++) out[t0 + i] = (accumulate ? out[t0 + i] : 0.0f) + lanes[i];
        }
    }
}

void codec_interleave_phases(const float *z, long ldz, long columns, long phases, long shift,
                             float *y, long ldy, long count, long row_begin, long row_end) {
    // Column m fills samples m * phases - shift + [0, phases): only the first and last columns are cut.
    long first = shift / phases, last = (count + shift + phases - 1) / phases;
    if (last > columns) last = columns;
    for (long o = row_begin; o < row_end; o++) {
        float *out = y + o * ldy;
        for (long m = first; m < last; m++) {
            long base = m * phases - shift;
            const float *column = z + o * phases * ldz + m;
            if (base >= 0 && base + phases <= count) {
                for (long r = 0; r < phases; r++) out[base + r] = column[r * ldz];
            } else {
                for (long r = 0; r < phases; r++)
                    if (base + r >= 0 && base + r < count) out[base + r] = column[r * ldz];
            }
        }
    }
}

void codec_split_phases(const float *x, long ldx, long available, long phases, float *y, long ldy, long columns,
                        long row_begin, long row_end) {
    for (long c = row_begin; c < row_end; c++) {
        const float *in = x + c * ldx;
        for (long r = 0; r < phases; r++) {
            float *out = y + (c * phases + r) * ldy;
            // Columns m with m * phases + r < available hold samples; the rest are zero.
            long filled = available > r ? (available - r + phases - 1) / phases : 0;
            if (filled > columns) filled = columns;
            for (long m = 0; m < filled; m++) out[m] = in[m * phases + r];
            for (long m = filled; m < columns; m++) out[m] = 0;
        }
    }
}

/// sin by Cody-Waite reduction modulo pi and a minimax polynomial on [-pi/2, pi/2]
/// (absolute error about 1e-7 for |x| < 65536); larger arguments use the library.
static inline float fast_sin(float x) {
    float q = x * 0.318309886183790671538f + 12582912.0f;  // + 1.5 * 2^23 rounds to an integer
    float n = q - 12582912.0f;
    float r = x - n * 3.140625f;
    r -= n * 0.0009670257568359375f;
    r -= n * 6.2771141529083251953e-07f;
    r -= n * 1.2154201256553420762e-10f;
    float r2 = r * r;
    float p = 2.6083159809786593541503e-06f;
    p = p * r2 - 0.0001981069071916863322258f;
    p = p * r2 + 0.00833307858556509017944336f;
    p = p * r2 - 0.166666597127914428710938f;
    float s = r + r * r2 * p;
    union { float f; unsigned u; } qq = {q}, ss = {s};
    ss.u ^= (qq.u & 1u) << 31;  // an odd multiple of pi flips the sign
    return ss.f;
}

CLONES
void codec_snake(const float *x, float *y, long ld, long count, const float *alpha, long begin, long end) {
    for (long c = begin; c < end; c++) {
        float a = alpha[c];
        float inverse = 1.0f / (a + 1e-9f);
        const float *row = x + c * ld;
        float *out = y + c * ld;
        float peak = 0.0f;
        for (long t = 0; t < count; t++) peak = fmaxf(peak, fabsf(a * row[t]));
        if (peak < 65536.0f) {
            v16 va = splat(a), vi = splat(inverse);
            long t = 0;
            for (; t + LANES <= count; t += LANES) {
                v16 v = load16(row + t), s;
                FAST_SIN16(va * v, s);
                store16(out + t, v + vi * (s * s));
            }
            for (; t < count; t++) {
                float v = row[t], s = fast_sin(a * v);
                out[t] = v + inverse * (s * s);
            }
        } else {  // rare huge arguments: the library's full range reduction
            for (long t = 0; t < count; t++) {
                float v = row[t], s = sinf(a * v);
                out[t] = v + inverse * (s * s);
            }
        }
    }
}

void codec_winograd_weights(const float *w, long cout, long cin, long kernel, const float *g, long alpha, float *packed_u) {
    long blocks = cout / 8;
    for (long o = 0; o < cout; o++)
        for (long c = 0; c < cin; c++) {
            const float *taps = w + (o * cin + c) * kernel;
            for (long xi = 0; xi < alpha; xi++) {
                double sum = 0;
                for (long j = 0; j < kernel; j++) sum += (double)g[xi * kernel + j] * taps[j];
                packed_u[((xi * blocks + o / 8) * cin + c) * 8 + o % 8] = (float)sum;
            }
        }
}

// GELU(v) = v/2 · (1 + erf(v/√2)) = v/2 · erfc(-v/√2). With z = |v|/√2 that is v/2 · erfc(z) for v < 0 and
// v/2 · (2 - erfc(z)) otherwise, so the small values of negative inputs never come from a difference.
// erfc(z) = t · exp(-z² + P(t)), t = 1/(1 + z/2), with P the Chebyshev fit in Numerical Recipes (erfcc), whose
// relative error is under 1.2e-7 for every z >= 0.
#define ERFC_POLYNOMIAL(t, z, p, K)                                                                  \
    do {                                                                                            \
        p = K(0.17087277f);                                                                         \
        p = p * (t) - 0.82215223f;                                                                  \
        p = p * (t) + 1.48851587f;                                                                  \
        p = p * (t) - 1.13520398f;                                                                  \
        p = p * (t) + 0.27886807f;                                                                  \
        p = p * (t) - 0.18628806f;                                                                  \
        p = p * (t) + 0.09678418f;                                                                  \
        p = p * (t) + 0.37409196f;                                                                  \
        p = p * (t) + 1.00002368f;                                                                  \
        p = p * (t) - 1.26551223f - (z) * (z);                                                      \
    } while (0)

// e^x for x in [-87, 0] on 16 lanes: x = n ln 2 + r with |r| <= ln 2 / 2, e^r by its Taylor polynomial of
// degree 7 (relative error about 1e-7), 2^n added to the exponent bits.
#define EXP16_NONPOSITIVE(x, result)                                                                \
    do {                                                                                            \
        v16 q_ = (x) * splat(1.44269504088896341f) + splat(12582912.0f);                            \
        v16 n_ = q_ - splat(12582912.0f);                                                           \
        v16 r_ = (x) - n_ * splat(0.693145751953125f) - n_ * splat(1.42860682030941723212e-6f);     \
        v16 e_ = splat(1.0f / 5040);                                                                \
        e_ = e_ * r_ + splat(1.0f / 720);                                                           \
        e_ = e_ * r_ + splat(1.0f / 120);                                                           \
        e_ = e_ * r_ + splat(1.0f / 24);                                                            \
        e_ = e_ * r_ + splat(1.0f / 6);                                                             \
        e_ = e_ * r_ + splat(0.5f);                                                                 \
        e_ = e_ * r_ + splat(1.0f);                                                                 \
        e_ = e_ * r_ + splat(1.0f);                                                                 \
        (result) = (v16)((v16u)e_ + (((v16u)q_ - (v16u)splat(12582912.0f)) << 23));                \
    } while (0)

CLONES void codec_gelu(float *x, long begin, long end) {
    long i = begin;
    for (; i + LANES <= end; i += LANES) {
        v16 v = load16(x + i);
        v16u negative = (v16u)(v < splat(0.0f));
        v16 z = (v16)((v16u)v & 0x7FFFFFFFu) * splat(0.70710678118654752f);
        v16 t = splat(1.0f) / (splat(1.0f) + splat(0.5f) * z);
        v16 p;
        ERFC_POLYNOMIAL(t, z, p, splat);
        v16u low = (v16u)(p < splat(-87.0f));  // e^-87 is about 1.6e-38: erfc is 0 to Float32 there
        p = (v16)(((v16u)p & ~low) | ((v16u)splat(-87.0f) & low));
        v16 e;
        EXP16_NONPOSITIVE(p, e);
        v16 erfc = t * e;
        v16 twice = (v16)(((v16u)erfc & negative) | ((v16u)(splat(2.0f) - erfc) & ~negative));
        store16(x + i, splat(0.5f) * v * twice);
    }
    for (; i < end; i++) {
        float v = x[i], z = fabsf(v) * 0.70710678118654752f, t = 1.0f / (1.0f + 0.5f * z), p;
        ERFC_POLYNOMIAL(t, z, p, (float));
        float erfc = t * expf(p);
        x[i] = 0.5f * v * (v < 0 ? erfc : 2.0f - erfc);
    }
}

void codec_keep_scratch_in_heap(void) {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
}
