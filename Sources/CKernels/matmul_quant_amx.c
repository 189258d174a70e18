// Quantized weights times a batch of inputs on AMX's int8 tiles (Intel's Sapphire Rapids and later): the
// prefill's products at q8, q6 and q4.
//
// A tile product C[16 x 16] += A[16 x K] B[K x 16] of signed bytes sums exactly in int32, but every block of 32
// columns has its own scales (the weight's per row, the input's per position), so each product spans one block,
// K = 32, and its sums are scaled into Float32 accumulators with AVX-512 before the next block's:
//   A: 16 positions x the block's 32 input quants in column order, a tile's 512 bytes in a run (ck_quantize_rows,
//      quantize.c);
//   B: 8 rows of 16 x 4 bytes, row t holding elements 4t..4t+3 of the block for 16 weight rows.
// In the stored formats (ckernels.h) those four bytes of block k lie at t * 64 + 4k of a row's group, so the 64
// bytes at t of 16 rows, transposed as dwords, are row t of all 16 blocks' B tiles. Weights are unpacked to signed
// bytes into B tiles once per 16 rows and chunk of columns, then serve every position of the batch.
//
// The integer sums are the VNNI kernels' (matmul_quant.c) exactly; only the order of the Float32 additions differs.
#include "ckernels.h"
#include "arch.h"
#include "amx_tiles.h"
#include "q6_bits.h"

#if CK_X86 && defined(__linux__)

#define AMX_INT8 __attribute__((target("amx-tile,amx-int8,avx512f,avx512bw,avx512vl,f16c")))

typedef enum { Q8, Q6, Q4 } kind;

enum {
    KC = 1024,              // columns per chunk: the batch's quants of a chunk stay in L2 while every row passes
    CHUNK_BLOCKS = KC / CK_BLOCK,
    GROUP_BLOCKS = CK_GROUP / CK_BLOCK
};

// 16 weight rows over one chunk of columns: each block's B tile and the rows' 16 scales of that block.
typedef struct {
    int8_t tiles[CHUNK_BLOCKS][8 * 64];
    float scales[CHUNK_BLOCKS][16];
} panel;

// Rows r..r + 15, groups g0..g0 + groups - 1, into `out`.
AMX_INT8 static inline __attribute__((always_inline)) void pack(kind k, const uint8_t *data, size_t cols, size_t r,
                                                                size_t g0, size_t groups, panel *out) {
    const size_t bytes = k == Q8 ? CK_Q8_GROUP_BYTES : k == Q6 ? CK_Q6_GROUP_BYTES : CK_Q4_GROUP_BYTES;
    const __m512i mask = _mm512_set1_epi8(0x0F), offset = _mm512_set1_epi8(k == Q6 ? 32 : 8);
    for (size_t gi = 0; gi < groups; gi++) {
        const uint8_t *rows[16];
        for (int n = 0; n < 16; n++) rows[n] = data + ck_pair_quants_at(bytes, cols, r + n, g0 + gi);
        int8_t (*tiles)[8 * 64] = out->tiles + gi * GROUP_BLOCKS;
        __m512i v[16];
        if (k == Q8) {
            for (int t = 0; t < 8; t++) {
                for (int n = 0; n < 16; n++) v[n] = _mm512_loadu_si512(rows[n] + 64 * t);
                ck_transpose_dwords(v);
                for (int b = 0; b < 16; b++) _mm512_store_si512(tiles[b] + 64 * t, v[b]);
            }
        } else {
            // The packed bytes are transposed before their nibbles are split (which bytes they sit in does not
            // matter to that), one transpose for rows t and t + 4 of the tiles: the low nibbles at 64p.. are
            // positions 64p.., the high ones 256 + 64p... q6's top-bit planes (two halves, their fields serving
            // t = h, h + 2, h + 4, h + 6) are transposed once each.
            __m512i planes[2][16];
            if (k == Q6) {
                for (int h = 0; h < 2; h++) {
                    for (int n = 0; n < 16; n++) planes[h][n] = _mm512_loadu_si512(rows[n] + 256 + 64 * h);
                    ck_transpose_dwords(planes[h]);
                }
            }
            for (int p = 0; p < 4; p++) {
                for (int n = 0; n < 16; n++) v[n] = _mm512_loadu_si512(rows[n] + 64 * p);
                ck_transpose_dwords(v);
                for (int b = 0; b < 16; b++) {
                    __m512i lo = _mm512_and_si512(v[b], mask), hi = _mm512_and_si512(_mm512_srli_epi16(v[b], 4), mask);
                    if (k == Q6) {  // top bits of positions 64t.. in field t / 2 of plane half t % 2
                        lo = _mm512_or_si512(lo, ck_q6_top_bits_512(planes[p % 2][b], p / 2));
                        hi = _mm512_or_si512(hi, ck_q6_top_bits_512(planes[p % 2][b], 2 + p / 2));
                    }
                    _mm512_store_si512(tiles[b] + 64 * p, _mm512_sub_epi8(lo, offset));
                    _mm512_store_si512(tiles[b] + 64 * (p + 4), _mm512_sub_epi8(hi, offset));
                }
            }
        }
        __m512i s[16];
        for (int n = 0; n < 16; n++) {
            const uint8_t *at = data + ck_pair_scales_at(bytes, cols, r + n, g0 + gi);
            s[n] = _mm512_castps_si512(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)at)));
        }
        ck_transpose_dwords(s);
        for (int b = 0; b < 16; b++) _mm512_store_si512(out->scales[gi * GROUP_BLOCKS + b], s[b]);
    }
}

// Block j's product goes to C tile j % 4 from A and B tiles 4 + j % 2 and 6 + j % 2 (ISSUE), its sums to memory
// (STORE into sums[j % 4]), and from there, scaled, into the accumulators (EXTRACT). A tile's sums can be stored
// only once its product is done, and reading them soon after the store stalled the core (it took the kernel from
// 30 to 100 cycles a block), so the three run blocks apart: block j's product is issued with block j - 2's store
// and j - 4's reading.
#define ISSUE(c, block)                                                                                        \
    do {                                                                                                       \
        _tile_loadd(4 + (c) % 2, x + (block) * 512, CK_BLOCK);                                                 \
        _tile_loadd(6 + (c) % 2, p->tiles[block], 64);                                                         \
        _tile_zero(c);                                                                                         \
        _tile_dpbssd(c, 4 + (c) % 2, 6 + (c) % 2);                                                             \
    } while (0)
#define STORE(c) _tile_stored(c, sums[c], 64)
// The accumulators are sixteen named variables: as an array indexed in unrolled loops, clang kept them in memory.
#define SCALE_ROW(i) a##i = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_load_si512(from + 16 * (i))), ws), \
                                            _mm512_set1_ps(input_scales[i]), a##i)
#define EXTRACT(block)                                                                                         \
    do {                                                                                                       \
        __asm__ volatile("" ::: "memory"); /* keeps each block's loads in place: hoisted, they spilled */       \
        const int32_t *from = sums[(block) % 4];                                                               \
        const float *input_scales = xs + (block) * 16;                                                         \
        __m512 ws = _mm512_load_ps(p->scales[block]);                                                          \
        SCALE_ROW(0); SCALE_ROW(1); SCALE_ROW(2); SCALE_ROW(3); SCALE_ROW(4); SCALE_ROW(5); SCALE_ROW(6);      \
        SCALE_ROW(7); SCALE_ROW(8); SCALE_ROW(9); SCALE_ROW(10); SCALE_ROW(11); SCALE_ROW(12); SCALE_ROW(13);  \
        SCALE_ROW(14); SCALE_ROW(15);                                                                          \
    } while (0)

#define STEPS(b, head, tail)                                                                                   \
    do {                                                                                                       \
        ISSUE(3, (b) + 3);                                                                                     \
        STORE(1);                                                                                              \
        if (!(head)) EXTRACT((b) - 1);                                                                         \
        if (!(tail)) ISSUE(0, (b) + 4);                                                                        \
        STORE(2);                                                                                              \
        EXTRACT(b);                                                                                            \
        if (!(tail)) ISSUE(1, (b) + 5);                                                                        \
        STORE(3);                                                                                              \
        EXTRACT((b) + 1);                                                                                      \
        if (!(tail)) {                                                                                         \
            ISSUE(2, (b) + 6);                                                                                 \
            STORE(0);                                                                                          \
        }                                                                                                      \
        EXTRACT((b) + 2);                                                                                      \
    } while (0)

// 16 positions (their tiles x, a block's 16 x 32 quants after another, and their scales xs, a block's 16 after
// another) times the panel's 16 rows over `n` blocks (a multiple of 4), added to y (or written, where `first`) for
// the first `valid` positions.
AMX_INT8 __attribute__((noinline)) static void panel_product(const panel *p, const int8_t *x, const float *xs, size_t n,
                                   float *y, size_t ldy, size_t valid, int first) {
    static _Thread_local int32_t sums[4][256] __attribute__((aligned(64)));
    __m512 a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15;
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = a8 = a9 = a10 = a11 = a12 = a13 = a14 = a15 = _mm512_setzero_ps();
    ISSUE(0, 0);
    ISSUE(1, 1);
    ISSUE(2, 2);
    STORE(0);
    // Step j issues block j + 3, stores j + 1 and reads j - 1, four steps at a time (the tiles' numbers are
    // constants); the first four read nothing before block 0, the last four issue nothing past block n - 1.
    if (n == 4) {
        STEPS(0, 1, 1);
    } else {
        STEPS(0, 1, 0);
        for (size_t b = 4; b + 4 < n; b += 4) STEPS(b, 0, 0);
        STEPS(n - 4, 0, 1);
    }
    EXTRACT(n - 1);
    __m512 acc[16] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15};
    for (size_t i = 0; i < valid; i++) {
        float *row = y + i * ldy;
        _mm512_storeu_ps(row, first ? acc[i] : _mm512_add_ps(acc[i], _mm512_loadu_ps(row)));
    }
}

// Asks for piece `i` of the weights `pack` takes next (rows r..r + 15 over `groups` groups from g0): the 8 row pairs'
// runs of a group, each pair's two rows and their scales. The packing read them from memory as it went, and was a
// sixth of the kernel's time.
static inline void prefetch_piece(kind k, const uint8_t *data, size_t cols, size_t r, size_t g0, size_t groups, size_t i) {
    const size_t bytes = k == Q8 ? CK_Q8_GROUP_BYTES : k == Q6 ? CK_Q6_GROUP_BYTES : CK_Q4_GROUP_BYTES;
    if (i >= 8 * groups) return;
    const uint8_t *at = data + ck_pair_quants_at(bytes, cols, r + 2 * (i / groups), g0 + i % groups);
    for (size_t line = 0; line < ck_pair_block_bytes(bytes); line += 64) _mm_prefetch((const char *)at + line, _MM_HINT_T1);
}

AMX_INT8 static void matmul_amx(kind k, const uint8_t *data, size_t cols, const int8_t *xq, const float *xs,
                                size_t count, float *y, size_t ldy, size_t r0, size_t r1) {
    static _Thread_local panel packed __attribute__((aligned(64)));
    ck_tile_config config = {0};
    for (int t = 0; t < 4; t++) ck_tile_shape(&config, t, 16, 64);  // C: 16 positions x 16 rows of int32
    for (int t = 4; t < 6; t++) ck_tile_shape(&config, t, 16, 32);  // A: 16 positions x one block
    for (int t = 6; t < 8; t++) ck_tile_shape(&config, t, 8, 64);   // B: the block's 8 rows of 16 x 4 bytes
    _tile_loadconfig(&config);
    const size_t blocks = cols / CK_BLOCK;
    for (size_t kc = 0; kc < cols; kc += KC) {
        size_t width = cols - kc < KC ? cols - kc : KC, n = width / CK_BLOCK;
        for (size_t r = r0; r < r1; r += 16) {
            size_t g0 = kc / CK_GROUP, groups = width / CK_GROUP, piece = 0;
            pack(k, data, cols, r, g0, groups, &packed);
            for (size_t t = 0; t < count; t += 16) {
                if (r + 16 < r1) prefetch_piece(k, data, cols, r + 16, g0, groups, piece++);
                size_t valid = count - t < 16 ? count - t : 16;
                panel_product(&packed, xq + t * cols + kc * 16, xs + t * blocks + kc / CK_BLOCK * 16, n,
                              y + t * ldy + r, ldy, valid, kc == 0);
            }
            for (; r + 16 < r1 && piece < 8 * groups; piece++) prefetch_piece(k, data, cols, r + 16, g0, groups, piece);
        }
    }
    _tile_release();
}

void ck_matmul_q8_amx(ck_q8_matrix w, size_t cols, const int8_t *xq, const float *xs, size_t count, float *y,
                      size_t ldy, size_t row_begin, size_t row_end) {
    matmul_amx(Q8, (const uint8_t *)w.data, cols, xq, xs, count, y, ldy, row_begin, row_end);
}
void ck_matmul_q6_amx(ck_q6_matrix w, size_t cols, const int8_t *xq, const float *xs, size_t count, float *y,
                      size_t ldy, size_t row_begin, size_t row_end) {
    matmul_amx(Q6, w.data, cols, xq, xs, count, y, ldy, row_begin, row_end);
}
void ck_matmul_q4_amx(ck_q4_matrix w, size_t cols, const int8_t *xq, const float *xs, size_t count, float *y,
                      size_t ldy, size_t row_begin, size_t row_end) {
    matmul_amx(Q4, w.data, cols, xq, xs, count, y, ldy, row_begin, row_end);
}

#else

void ck_matmul_q8_amx(ck_q8_matrix w, size_t cols, const int8_t *xq, const float *xs, size_t count, float *y,
                      size_t ldy, size_t row_begin, size_t row_end) {
    (void)w, (void)cols, (void)xq, (void)xs, (void)count, (void)y, (void)ldy, (void)row_begin, (void)row_end;
}
void ck_matmul_q6_amx(ck_q6_matrix w, size_t cols, const int8_t *xq, const float *xs, size_t count, float *y,
                      size_t ldy, size_t row_begin, size_t row_end) {
    (void)w, (void)cols, (void)xq, (void)xs, (void)count, (void)y, (void)ldy, (void)row_begin, (void)row_end;
}
void ck_matmul_q4_amx(ck_q4_matrix w, size_t cols, const int8_t *xq, const float *xs, size_t count, float *y,
                      size_t ldy, size_t row_begin, size_t row_end) {
    (void)w, (void)cols, (void)xq, (void)xs, (void)count, (void)y, (void)ldy, (void)row_begin, (void)row_end;
}

#endif
