// Quantized weights times several quantized inputs (prefill). A tile of 2 weight rows by 4 inputs
// keeps 8 integer accumulators in registers: each 64-byte weight load feeds 4 dot products and each
// input load 2, so the loop is bound by the VNNI units rather than by loads. With AVX2 a tile is also
// 2 rows by 4 inputs, in 256 bits (below).
#include "ckernels.h"
#include "avx2_lanes.h"
#include "arch.h"
#include "q6_bits.h"
#include "neon_quants.h"

// Unsigned weight vectors of one 64-byte step: q8 flips the sign bit (u = q + 128), q4 splits nibbles,
// q6 puts its top bits on q4's nibbles.
typedef enum { Q8, Q6, Q4 } kind;

// Always inlined with constant `k` and `n_in`, so the accumulator arrays live in registers.
#define TILE_ROWS(k) ((k) == Q8 ? 3 : 2)
// Groups of columns a tile covers before the next tile of rows: the 4 inputs' 16 KB of a 4096-column
// span stay in L1 while the rows stream past. Over all 8192 columns of the FFN's down projection they
// did not, and the tile ran 10% (q4) to 34% (q8) slower than on 3072 columns.
#define SPAN_GROUPS 8

// Whole pairs of rows [r0, r1) times the n_in (at most 4) inputs, span by span, with a 2-row tile
// (AVX2's, NEON's) whose format, dot-product flag and input count are constants in each instance.
#define PAIR_TILES(ATTRIBUTES, TILE, K, DOTS, NAME)                                                              \
    ATTRIBUTES static void NAME(const uint8_t *data, const ck_q8_vector *x, size_t n_in, float *y, size_t ldy,   \
                                size_t cols, size_t r0, size_t r1) {                                             \
        const size_t groups = cols / CK_GROUP;                                                                   \
        for (size_t g0 = 0; g0 < groups; g0 += SPAN_GROUPS) {                                                    \
            size_t g1 = groups - g0 < SPAN_GROUPS ? groups : g0 + SPAN_GROUPS;                                   \
            for (size_t r = r0; r + 2 <= r1; r += 2) {                                                           \
                switch (n_in) {                                                                                  \
                case 4: TILE(K, DOTS, data, cols, x, 4, y, ldy, r, g0, g1); break;                               \
                case 3: TILE(K, DOTS, data, cols, x, 3, y, ldy, r, g0, g1); break;                               \
                case 2: TILE(K, DOTS, data, cols, x, 2, y, ldy, r, g0, g1); break;                               \
                default: TILE(K, DOTS, data, cols, x, 1, y, ldy, r, g0, g1); break;                              \
                }                                                                                                \
            }                                                                                                    \
        }                                                                                                        \
    }


#if CK_X86

#define VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")))
#define ROWS 3  // q8 tiles are 3 rows by 4 inputs; q4 and q6, which need two registers per row, 2 by 4
#define INPUTS 4

// Rows r.. times inputs x over the column groups [g0, g1): written to y for the first span, added after.
VNNI static inline __attribute__((always_inline)) void tile(kind k, const uint8_t *data, size_t cols, const ck_q8_vector *x,
                             size_t n_in, size_t n_rows, float *y, size_t ldy, size_t r, size_t g0, size_t g1) {
    size_t bytes = k == Q8 ? CK_Q8_GROUP_BYTES : k == Q6 ? CK_Q6_GROUP_BYTES : CK_Q4_GROUP_BYTES;
    __m512 acc[ROWS][INPUTS];
    const size_t R = TILE_ROWS(k);
    for (size_t a = 0; a < R; a++)
        for (size_t b = 0; b < INPUTS; b++) acc[a][b] = _mm512_setzero_ps();
    // Stored weights are u = q + 128 (q8), q + 32 (q6) or q + 8 (q4): their dot with the input carries
    // offset * (sum of the input's block), taken off in integers before each group's conversion.
    const int shift = k == Q8 ? 7 : k == Q6 ? 5 : 3;
    const __m512i flip = _mm512_set1_epi8((char)0x80), mask = _mm512_set1_epi8(0x0F);
    for (size_t g = g0; g < g1; g++) {
        for (size_t a = 0; a < R; a += 2)  // the tile's pairs of rows, ahead
            ck_fetch_ahead(data + ck_pair_quants_at(bytes, cols, r + a, g), ck_pair_block_bytes(bytes));
        __m512i d[ROWS][INPUTS];
        for (size_t b = 0; b < n_in; b++) {
            __m512i offset = _mm512_sub_epi32(_mm512_setzero_si512(),
                                              _mm512_slli_epi32(_mm512_loadu_si512(x[b].sums + g * 16), shift));
            for (size_t a = 0; a < R; a++) d[a][b] = offset;
        }
        if (k == Q8) {
            for (int t = 0; t < 8; t++) {
                __m512i u[ROWS];
                for (size_t a = 0; a < R; a++)
                    u[a] = _mm512_xor_si512(_mm512_loadu_si512(data + ck_q8_quants_at(cols, r + a, g) + 64 * t), flip);
                for (size_t b = 0; b < n_in; b++) {
                    __m512i v = _mm512_loadu_si512(x[b].quants + g * CK_GROUP + 64 * t);
                    for (size_t a = 0; a < R; a++) d[a][b] = _mm512_dpbusd_epi32(d[a][b], u[a], v);
                }
            }
        } else {
            for (int p = 0; p < 4; p++) {
                __m512i lo[ROWS], hi[ROWS];
                for (size_t a = 0; a < R; a++) {
                    const uint8_t *quants = data + ck_pair_quants_at(bytes, cols, r + a, g);
                    __m512i packed = _mm512_loadu_si512(quants + 64 * p);
                    lo[a] = _mm512_and_si512(packed, mask);
                    hi[a] = _mm512_and_si512(_mm512_srli_epi16(packed, 4), mask);
                    if (k == Q6) {  // top bits of positions 64p.. in field p / 2, of 256 + 64p.. in 2 + p / 2
                        __m512i plane = _mm512_loadu_si512(quants + 256 + 64 * (p % 2));
                        lo[a] = _mm512_or_si512(lo[a], ck_q6_top_bits_512(plane, p / 2));
                        hi[a] = _mm512_or_si512(hi[a], ck_q6_top_bits_512(plane, 2 + p / 2));
                    }
                }
                for (size_t b = 0; b < n_in; b++) {
                    __m512i v0 = _mm512_loadu_si512(x[b].quants + g * CK_GROUP + 64 * p);
                    __m512i v1 = _mm512_loadu_si512(x[b].quants + g * CK_GROUP + 256 + 64 * p);
                    for (size_t a = 0; a < R; a++) {
                        d[a][b] = _mm512_dpbusd_epi32(d[a][b], lo[a], v0);
                        d[a][b] = _mm512_dpbusd_epi32(d[a][b], hi[a], v1);
                    }
                }
            }
        }
        for (size_t a = 0; a < n_rows; a++) {
            __m512 ws = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(data + ck_pair_scales_at(bytes, cols, r + a, g))));
            for (size_t b = 0; b < n_in; b++) {
                __m512 s = _mm512_mul_ps(ws, _mm512_loadu_ps(x[b].scales + g * 16));
                acc[a][b] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d[a][b]), s, acc[a][b]);
            }
        }
    }
    for (size_t a = 0; a < n_rows; a++)
        for (size_t b = 0; b < n_in; b++) {
            float sum = _mm512_reduce_add_ps(acc[a][b]);
            y[b * ldy + r + a] = g0 == 0 ? sum : y[b * ldy + r + a] + sum;
        }
}

#define TILES(K)                                                                                                 \
    VNNI static void tiles_##K(const uint8_t *data, const ck_q8_vector *x, size_t n_in, float *y,                   \
                               size_t ldy, size_t cols, size_t r0, size_t r1) {                                     \
        const size_t R = TILE_ROWS(K), groups = cols / CK_GROUP;                                                  \
        for (size_t g0 = 0; g0 < groups; g0 += SPAN_GROUPS) {                                                     \
            size_t g1 = groups - g0 < SPAN_GROUPS ? groups : g0 + SPAN_GROUPS;                                    \
            for (size_t r = r0; r + R <= r1; r += R) {                                                            \
                switch (n_in) {                                                                                   \
                case 4: tile(K, data, cols, x, 4, R, y, ldy, r, g0, g1); break;                                   \
                case 3: tile(K, data, cols, x, 3, R, y, ldy, r, g0, g1); break;                                   \
                case 2: tile(K, data, cols, x, 2, R, y, ldy, r, g0, g1); break;                                   \
                default: tile(K, data, cols, x, 1, R, y, ldy, r, g0, g1); break;                                  \
                }                                                                                                 \
            }                                                                                                     \
        }                                                                                                         \
    }
TILES(Q8)
TILES(Q6)
TILES(Q4)

// ---- AVX2
//
// maddubs multiplies unsigned by signed bytes and adds pairs in 16 bits; madd with ones widens pairs of
// those to 32. Inputs lie in [-127, 127], so a q4 lane (nibbles <= 15) is at most 2 * 15 * 127 = 3810,
// and the 8 of one half of a group (4 vectors, low and high nibbles) at most 30480: they add in 16 bits
// and one madd widens them. q6 (u <= 63) adds one vector's low and high in 16 bits (32004). q8 takes
// |q| times +-x, as its matrix-vector kernel does (u = q + 128 would overflow the pair sums). A group's
// first 32-byte halves hold blocks 0-7 and its second ones blocks 8-15, so the tile works through one
// half of a group's blocks, then the other. With 16 registers the 8 float sums live on the stack,
// touched once per half group; 4 inputs rather than 2 (all in registers) prefilled 15-20% faster here.
//
// With AVX-VNNI (`vnni`, a constant once inlined) the same tile multiplies with 256-bit dpbusd, exact in
// 32 bits as the AVX-512 VNNI tile: no 16-bit stage, and q8 takes u = q + 128 as there.
#define AVX2 __attribute__((target("avx2,fma,f16c")))
#define INPUTS_AVX2 4

// AVX-VNNI's vpdpbusd (VEX-encoded), written out so that the one tile serves both: the compiler would
// otherwise need the avxvnni target for the whole tile.
AVX2 static inline __m256i dpbusd_avx(__m256i acc, __m256i u, __m256i s) {
    __asm__("%{vex%} vpdpbusd %2, %1, %0" : "+x"(acc) : "x"(u), "x"(s));
    return acc;
}

// Rows r, r + 1 times inputs x over the column groups [g0, g1): written to y for the first span, added after.
AVX2 static inline __attribute__((always_inline)) void tile_avx2(kind k, int vnni, const uint8_t *data, size_t cols,
                                                                 const ck_q8_vector *x, size_t n_in, float *y, size_t ldy,
                                                                 size_t r, size_t g0, size_t g1) {
    size_t bytes = k == Q8 ? CK_Q8_GROUP_BYTES : k == Q6 ? CK_Q6_GROUP_BYTES : CK_Q4_GROUP_BYTES;
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc[2][INPUTS_AVX2];
    for (size_t a = 0; a < 2; a++)
        for (size_t b = 0; b < INPUTS_AVX2; b++) acc[a][b] = _mm256_setzero_ps();
    const int shift = k == Q8 ? 7 : k == Q6 ? 5 : 3;
    for (size_t g = g0; g < g1; g++) {
        const uint8_t *w[2] = {data + ck_pair_quants_at(bytes, cols, r, g), data + ck_pair_quants_at(bytes, cols, r + 1, g)};
        ck_fetch_ahead(w[0], ck_pair_block_bytes(bytes));
        for (int h = 0; h < 2; h++) {  // blocks 8h..8h+7
            __m256i d[2][INPUTS_AVX2];
            if (vnni) {
                for (size_t a = 0; a < 2; a++)
                    for (size_t b = 0; b < n_in; b++) d[a][b] = _mm256_setzero_si256();
                if (k == Q8) {
                    for (int t = 0; t < 8; t++) {  // bytes 64t + 32h..: four elements of blocks 8h..8h+7
                        __m256i u[2];
                        for (size_t a = 0; a < 2; a++)
                            u[a] = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(w[a] + 64 * t + 32 * h)), _mm256_set1_epi8((char)0x80));
                        for (size_t b = 0; b < n_in; b++) {
                            __m256i v = _mm256_loadu_si256((const __m256i *)(x[b].quants + g * CK_GROUP + 64 * t + 32 * h));
                            for (size_t a = 0; a < 2; a++) d[a][b] = dpbusd_avx(d[a][b], u[a], v);
                        }
                    }
                } else {
                    for (int p = h; p < 8; p += 2) {
                        __m256i lo[2], hi[2];
                        for (size_t a = 0; a < 2; a++) ck_nibbles_256(w[a], p, k == Q6, &lo[a], &hi[a]);
                        for (size_t b = 0; b < n_in; b++) {
                            __m256i v0 = _mm256_loadu_si256((const __m256i *)(x[b].quants + g * CK_GROUP + 32 * p));
                            __m256i v1 = _mm256_loadu_si256((const __m256i *)(x[b].quants + g * CK_GROUP + 256 + 32 * p));
                            for (size_t a = 0; a < 2; a++) d[a][b] = dpbusd_avx(dpbusd_avx(d[a][b], lo[a], v0), hi[a], v1);
                        }
                    }
                }
            } else if (k == Q4) {
                // A row at a time: its sums for the 4 inputs, its nibbles and an input fit the 16 registers,
                // where both rows' together went to the stack (the inputs, read twice, come from L1).
                for (size_t a = 0; a < 2; a++) {
                    __m256i s[INPUTS_AVX2];
                    for (size_t b = 0; b < n_in; b++) s[b] = _mm256_setzero_si256();
                    // Not unrolled: unrolled, the compiler hoisted every step's nibbles and spilled them to the stack, and the
                    // tile ran 1.4-1.6x slower (Zen 3, 3072 x 3072 by 256 inputs, one thread).
                    _Pragma("clang loop unroll(disable)")
                    for (int p = h; p < 8; p += 2) {  // packed bytes 32p..: positions 32p.. (low), 256 + 32p.. (high)
                        __m256i lo, hi;
                        ck_nibbles_256(w[a], p, 0, &lo, &hi);
                        for (size_t b = 0; b < n_in; b++) {
                            __m256i v0 = _mm256_loadu_si256((const __m256i *)(x[b].quants + g * CK_GROUP + 32 * p));
                            __m256i v1 = _mm256_loadu_si256((const __m256i *)(x[b].quants + g * CK_GROUP + 256 + 32 * p));
                            s[b] = _mm256_add_epi16(s[b], _mm256_add_epi16(_mm256_maddubs_epi16(lo, v0), _mm256_maddubs_epi16(hi, v1)));
                        }
                    }
                    for (size_t b = 0; b < n_in; b++) d[a][b] = _mm256_madd_epi16(s[b], ones);
                }
            } else if (k == Q6) {
                for (size_t a = 0; a < 2; a++)
                    for (size_t b = 0; b < n_in; b++) d[a][b] = _mm256_setzero_si256();
                for (int p = h; p < 8; p += 2) {
                    __m256i lo[2], hi[2];
                    for (size_t a = 0; a < 2; a++) ck_nibbles_256(w[a], p, 1, &lo[a], &hi[a]);
                    for (size_t b = 0; b < n_in; b++) {
                        __m256i v0 = _mm256_loadu_si256((const __m256i *)(x[b].quants + g * CK_GROUP + 32 * p));
                        __m256i v1 = _mm256_loadu_si256((const __m256i *)(x[b].quants + g * CK_GROUP + 256 + 32 * p));
                        for (size_t a = 0; a < 2; a++) {
                            __m256i pairs = _mm256_add_epi16(_mm256_maddubs_epi16(lo[a], v0), _mm256_maddubs_epi16(hi[a], v1));
                            d[a][b] = _mm256_add_epi32(d[a][b], _mm256_madd_epi16(pairs, ones));
                        }
                    }
                }
            } else {
                for (size_t a = 0; a < 2; a++)
                    for (size_t b = 0; b < n_in; b++) d[a][b] = _mm256_setzero_si256();
                for (int t = 0; t < 8; t++) {  // bytes 64t + 32h..: four elements of blocks 8h..8h+7
                    __m256i q[2];
                    for (size_t a = 0; a < 2; a++) q[a] = _mm256_loadu_si256((const __m256i *)(w[a] + 64 * t + 32 * h));
                    for (size_t b = 0; b < n_in; b++) {
                        __m256i v = _mm256_loadu_si256((const __m256i *)(x[b].quants + g * CK_GROUP + 64 * t + 32 * h));
                        for (size_t a = 0; a < 2; a++) {
                            __m256i pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(q[a], q[a]), _mm256_sign_epi8(v, q[a]));
                            d[a][b] = _mm256_add_epi32(d[a][b], _mm256_madd_epi16(pairs, ones));
                        }
                    }
                }
            }
            for (size_t b = 0; b < n_in; b++) {
                __m256 xs = _mm256_loadu_ps(x[b].scales + g * 16 + 8 * h);
                // The weights' offset (q4 8, q6 32, q8 128 with VNNI; none for q8's |q| times +-x).
                __m256i offset = k == Q8 && !vnni ? _mm256_setzero_si256()
                    : _mm256_slli_epi32(_mm256_loadu_si256((const __m256i *)(x[b].sums + g * 16 + 8 * h)), shift);
                for (size_t a = 0; a < 2; a++) {
                    const uint16_t *ws = (const uint16_t *)(data + ck_pair_scales_at(bytes, cols, r + a, g)) + 8 * h;
                    __m256 scales = _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)ws)), xs);
                    acc[a][b] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(d[a][b], offset)), scales, acc[a][b]);
                }
            }
        }
    }
    for (size_t a = 0; a < 2; a++)
        for (size_t b = 0; b < n_in; b++) {
            float sum = ck_sum8(acc[a][b]);
            y[b * ldy + r + a] = g0 == 0 ? sum : y[b * ldy + r + a] + sum;
        }
}

PAIR_TILES(AVX2, tile_avx2, Q8, 0, tiles_avx2_Q8)
PAIR_TILES(AVX2, tile_avx2, Q6, 0, tiles_avx2_Q6)
PAIR_TILES(AVX2, tile_avx2, Q4, 0, tiles_avx2_Q4)
PAIR_TILES(AVX2, tile_avx2, Q8, 1, tiles_avx_vnni_Q8)
PAIR_TILES(AVX2, tile_avx2, Q6, 1, tiles_avx_vnni_Q6)
PAIR_TILES(AVX2, tile_avx2, Q4, 1, tiles_avx_vnni_Q4)

#endif  // CK_X86

#if CK_NEON

// ---- NEON: a tile of 2 rows by 4 inputs, as AVX2's. Each unpacked weight vector feeds 4 dot products
// and each input vector 2; a group goes a block quarter at a time (the chunks holding blocks 4k..4k + 3),
// so that the 8 integer sums and 8 float sums stay in registers.
#define INPUTS_NEON 4

NEON_INLINE void tile_neon(kind k, int sdot, const uint8_t *data, size_t cols, const ck_q8_vector *x, size_t n_in,
                           float *y, size_t ldy, size_t r, size_t g0, size_t g1) {
    size_t bytes = k == Q8 ? CK_Q8_GROUP_BYTES : k == Q6 ? CK_Q6_GROUP_BYTES : CK_Q4_GROUP_BYTES;
    float32x4_t acc[2][INPUTS_NEON];
    for (size_t a = 0; a < 2; a++)
        for (size_t b = 0; b < n_in; b++) acc[a][b] = vdupq_n_f32(0);
    for (size_t g = g0; g < g1; g++) {
        const uint8_t *w[2] = {data + ck_pair_quants_at(bytes, cols, r, g), data + ck_pair_quants_at(bytes, cols, r + 1, g)};
        for (int quarter = 0; quarter < 4; quarter++) {
            int32x4_t d[2][INPUTS_NEON];
            for (size_t a = 0; a < 2; a++)
                for (size_t b = 0; b < n_in; b++) d[a][b] = vdupq_n_s32(0);
            if (k == Q8) {
                for (int c = quarter; c < 32; c += 4) {
                    int8x16_t u[2] = {vld1q_s8((const int8_t *)w[0] + 16 * c), vld1q_s8((const int8_t *)w[1] + 16 * c)};
                    for (size_t b = 0; b < n_in; b++) {
                        int8x16_t v = vld1q_s8(x[b].quants + g * CK_GROUP + 16 * c);
                        for (size_t a = 0; a < 2; a++) d[a][b] = ck_dot_neon(d[a][b], u[a], v, sdot);
                    }
                }
            } else {
                for (int c = quarter; c < 16; c += 4) {
                    int8x16_t low[2], high[2];
                    for (size_t a = 0; a < 2; a++) ck_nibble_weights_neon(k == Q6 ? 6 : 4, w[a], c, &low[a], &high[a]);
                    for (size_t b = 0; b < n_in; b++) {
                        const int8_t *xq = x[b].quants + g * CK_GROUP;
                        int8x16_t vl = vld1q_s8(xq + 16 * c), vh = vld1q_s8(xq + 256 + 16 * c);
                        for (size_t a = 0; a < 2; a++) d[a][b] = ck_dot_neon(ck_dot_neon(d[a][b], low[a], vl, sdot), high[a], vh, sdot);
                    }
                }
            }
            for (size_t a = 0; a < 2; a++) {
                const uint16_t *ws = (const uint16_t *)(data + ck_pair_scales_at(bytes, cols, r + a, g)) + 4 * quarter;
                for (size_t b = 0; b < n_in; b++)
                    acc[a][b] = vfmaq_f32(acc[a][b], vcvtq_f32_s32(d[a][b]), ck_block_scales_neon(ws, x[b].scales + g * 16 + 4 * quarter));
            }
        }
    }
    for (size_t a = 0; a < 2; a++)
        for (size_t b = 0; b < n_in; b++) {
            float sum = vaddvq_f32(acc[a][b]);
            y[b * ldy + r + a] = g0 == 0 ? sum : y[b * ldy + r + a] + sum;
        }
}

PAIR_TILES(NEON, tile_neon, Q8, 0, tiles_neon_Q8)
PAIR_TILES(NEON, tile_neon, Q6, 0, tiles_neon_Q6)
PAIR_TILES(NEON, tile_neon, Q4, 0, tiles_neon_Q4)
PAIR_TILES(NEON, tile_neon, Q8, 1, tiles_sdot_Q8)
PAIR_TILES(NEON, tile_neon, Q6, 1, tiles_sdot_Q6)
PAIR_TILES(NEON, tile_neon, Q4, 1, tiles_sdot_Q4)

#endif  // CK_NEON

// Inputs x[0 ..< n_in] over rows [start, end) in the tiles of `isa` (x86 4: VNNI; 2: AVX2, with AVX-VNNI
// where `vnni`; aarch64 1: NEON, with sdot where `vnni`); 0 where the level has none.
static int tiles(kind k, int isa, int vnni, const uint8_t *data, const ck_q8_vector *x, size_t n_in, float *y,
                 size_t ldy, size_t cols, size_t start, size_t end) {
#if CK_X86
    if (isa >= 4) {
        if (k == Q8) tiles_Q8(data, x, n_in, y, ldy, cols, start, end);
        else if (k == Q6) tiles_Q6(data, x, n_in, y, ldy, cols, start, end);
        else tiles_Q4(data, x, n_in, y, ldy, cols, start, end);
    } else if (isa == 2 && vnni) {
        if (k == Q8) tiles_avx_vnni_Q8(data, x, n_in, y, ldy, cols, start, end);
        else if (k == Q6) tiles_avx_vnni_Q6(data, x, n_in, y, ldy, cols, start, end);
        else tiles_avx_vnni_Q4(data, x, n_in, y, ldy, cols, start, end);
    } else if (isa == 2) {
        if (k == Q8) tiles_avx2_Q8(data, x, n_in, y, ldy, cols, start, end);
        else if (k == Q6) tiles_avx2_Q6(data, x, n_in, y, ldy, cols, start, end);
        else tiles_avx2_Q4(data, x, n_in, y, ldy, cols, start, end);
    } else {
        return 0;
    }
    return 1;
#elif CK_NEON
    if (isa != 1) return 0;
    if (k == Q8) (vnni ? tiles_sdot_Q8 : tiles_neon_Q8)(data, x, n_in, y, ldy, cols, start, end);
    else if (k == Q6) (vnni ? tiles_sdot_Q6 : tiles_neon_Q6)(data, x, n_in, y, ldy, cols, start, end);
    else (vnni ? tiles_sdot_Q4 : tiles_neon_Q4)(data, x, n_in, y, ldy, cols, start, end);
    return 1;
#else
    return 0;
#endif
}

// Weight bytes a block of rows may take: every input passes over a block while it sits in L2, so the
// weights come from memory once per product rather than once per tile of inputs.
#define BLOCK_BYTES (256 * 1024)

static void matvec(kind k, const uint8_t *data, const ck_q8_vector *x, float *y, size_t cols, size_t r0, size_t r1) {
    if (k == Q8) ck_matvec_q8((ck_q8_matrix){(const int8_t *)data}, x, y, cols, r0, r1);
    else if (k == Q6) ck_matvec_q6((ck_q6_matrix){data}, x, y, cols, r0, r1);
    else ck_matvec_q4((ck_q4_matrix){data}, x, y, cols, r0, r1);
}

// Blocks of rows, and within each every input in tiles (`isa` 4: VNNI; 2: AVX2, with AVX-VNNI where
// `vnni`; NEON's 1, with sdot where `vnni`), or one matrix-vector product per input (AVX-512 without VNNI, whose 512-bit kernel ran faster
// here than the 256-bit tile, and portable); rows short of a tile take the matrix-vector kernel.
static void matmul(kind k, int isa, int vnni, const uint8_t *data, const ck_q8_vector *x, size_t n_inputs,
                   float *y, size_t ldy, size_t cols, size_t r0, size_t r1) {
#if CK_X86
    size_t rows = isa >= 4 ? TILE_ROWS(k) : isa == 2 ? 2 : 1, inputs = isa >= 4 ? INPUTS : isa == 2 ? INPUTS_AVX2 : 1;
#elif CK_NEON
    size_t rows = isa == 1 ? 2 : 1, inputs = isa == 1 ? INPUTS_NEON : 1;
#else
    size_t rows = 1, inputs = 1;
#endif
    size_t whole = r0 + (r1 - r0) / rows * rows;
    size_t row_bytes = (k == Q8 ? ck_q8_bytes(2, cols) : k == Q6 ? ck_q6_bytes(2, cols) : ck_q4_bytes(2, cols)) / 2;
    size_t block = BLOCK_BYTES / row_bytes / 6 * 6;  // whole tiles of any format, and whole pairs
    if (block < 6) block = 6;
    for (size_t start = r0; start < whole; start += block) {
        size_t end = whole - start < block ? whole : start + block;
        for (size_t b = 0; b < n_inputs; b += inputs) {
            size_t n_in = n_inputs - b < inputs ? n_inputs - b : inputs;
            if (tiles(k, isa, vnni, data, x + b, n_in, y + b * ldy, ldy, cols, start, end)) continue;
            matvec(k, data, x + b, y + b * ldy, cols, start, end);
        }
    }
    for (size_t i = 0; i < n_inputs && whole < r1; i++) matvec(k, data, x + i, y + i * ldy, cols, whole, r1);
}

void ck_matmul_q8(ck_q8_matrix w, const ck_q8_vector *x, size_t n_inputs, float *y, size_t ldy, size_t cols,
                  size_t r0, size_t r1) {
    matmul(Q8, ck_isa(), ck_byte_dots(), (const uint8_t *)w.data, x, n_inputs, y, ldy, cols, r0, r1);
}

void ck_matmul_q6(ck_q6_matrix w, const ck_q8_vector *x, size_t n_inputs, float *y, size_t ldy, size_t cols,
                  size_t r0, size_t r1) {
    matmul(Q6, ck_isa(), ck_byte_dots(), w.data, x, n_inputs, y, ldy, cols, r0, r1);
}

void ck_matmul_q4(ck_q4_matrix w, const ck_q8_vector *x, size_t n_inputs, float *y, size_t ldy, size_t cols,
                  size_t r0, size_t r1) {
    matmul(Q4, ck_isa(), ck_byte_dots(), w.data, x, n_inputs, y, ldy, cols, r0, r1);
}
