// Quantized weights times several quantized inputs (prefill). A tile of 2 weight rows by 4 inputs
// keeps 8 integer accumulators in registers: each 64-byte weight load feeds 4 dot products and each
// input load 2, so the loop is bound by the VNNI units rather than by loads.
#include "ckernels.h"
#include <immintrin.h>
#include "q6_bits.h"

#define VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")))
#define ROWS 3  // q8 tiles are 3 rows by 4 inputs; q4 and q6, which need two registers per row, 2 by 4
#define INPUTS 4
// Groups of columns a tile covers before the next tile of rows: the 4 inputs' 16 KB of a 4096-column
// span stay in L1 while the rows stream past. Over all 8192 columns of the FFN's down projection they
// did not, and the tile ran 10% (q4) to 34% (q8) slower than on 3072 columns.
#define SPAN_GROUPS 8

// Unsigned weight vectors of one 64-byte step: q8 flips the sign bit (u = q + 128), q4 splits nibbles,
// q6 puts its top bits on q4's nibbles.
typedef enum { Q8, Q6, Q4 } kind;

// Always inlined with constant `k` and `n_in`, so the accumulator arrays live in registers.
#define TILE_ROWS(k) ((k) == Q8 ? 3 : 2)

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

// Weight bytes a block of rows may take: every input passes over a block while it sits in L2, so the
// weights come from memory once per product rather than once per INPUTS inputs.
#define BLOCK_BYTES (256 * 1024)

VNNI static void matmul_vnni(kind k, const uint8_t *data, const ck_q8_vector *x, size_t n_inputs,
                             float *y, size_t ldy, size_t cols, size_t r0, size_t r1) {
    size_t even = r0 + (r1 - r0) / TILE_ROWS(k) * TILE_ROWS(k);
    size_t row_bytes = (k == Q8 ? ck_q8_bytes(2, cols) : k == Q6 ? ck_q6_bytes(2, cols) : ck_q4_bytes(2, cols)) / 2;
    size_t block = BLOCK_BYTES / row_bytes / 6 * 6;  // whole tiles of either format, and whole pairs
    if (block < 6) block = 6;
    for (size_t start = r0; start < even; start += block) {
        size_t end = even - start < block ? even : start + block;
        for (size_t b = 0; b < n_inputs; b += INPUTS) {
            size_t n_in = n_inputs - b < INPUTS ? n_inputs - b : INPUTS;
            if (k == Q8) tiles_Q8(data, x + b, n_in, y + b * ldy, ldy, cols, start, end);
            else if (k == Q6) tiles_Q6(data, x + b, n_in, y + b * ldy, ldy, cols, start, end);
            else tiles_Q4(data, x + b, n_in, y + b * ldy, ldy, cols, start, end);
        }
    }
    for (size_t b = 0; b < n_inputs; b += INPUTS) {
        size_t n_in = n_inputs - b < INPUTS ? n_inputs - b : INPUTS;
        for (size_t i = 0; i < n_in && even < r1; i++) {  // rows short of a tile
            if (k == Q8) ck_matvec_q8((ck_q8_matrix){(const int8_t *)data}, x + b + i, y + (b + i) * ldy, cols, even, r1);
            else if (k == Q6) ck_matvec_q6((ck_q6_matrix){data}, x + b + i, y + (b + i) * ldy, cols, even, r1);
            else ck_matvec_q4((ck_q4_matrix){data}, x + b + i, y + (b + i) * ldy, cols, even, r1);
        }
    }
}

void ck_matmul_q8(ck_q8_matrix w, const ck_q8_vector *x, size_t n_inputs, float *y, size_t ldy, size_t cols,
                  size_t r0, size_t r1) {
    if (ck_isa() >= 4) { matmul_vnni(Q8, (const uint8_t *)w.data, x, n_inputs, y, ldy, cols, r0, r1); return; }
    for (size_t i = 0; i < n_inputs; i++) ck_matvec_q8(w, x + i, y + i * ldy, cols, r0, r1);
}

void ck_matmul_q6(ck_q6_matrix w, const ck_q8_vector *x, size_t n_inputs, float *y, size_t ldy, size_t cols,
                  size_t r0, size_t r1) {
    if (ck_isa() >= 4) { matmul_vnni(Q6, w.data, x, n_inputs, y, ldy, cols, r0, r1); return; }
    for (size_t i = 0; i < n_inputs; i++) ck_matvec_q6(w, x + i, y + i * ldy, cols, r0, r1);
}

void ck_matmul_q4(ck_q4_matrix w, const ck_q8_vector *x, size_t n_inputs, float *y, size_t ldy, size_t cols,
                  size_t r0, size_t r1) {
    if (ck_isa() >= 4) { matmul_vnni(Q4, w.data, x, n_inputs, y, ldy, cols, r0, r1); return; }
    for (size_t i = 0; i < n_inputs; i++) ck_matvec_q4(w, x + i, y + i * ldy, cols, r0, r1);
}
