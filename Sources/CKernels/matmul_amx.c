// Batched products with bf16 weights on AMX tiles (Intel's Sapphire Rapids and later): a prefill's
// y = x W^T read straight from the published bf16 weights, without the Float32 copy that sgemm needs.
//
// A tile product C[16 x 16] += A[16 x 32] B[32 x 16] takes A as rows of 32 bf16 and B as 16 rows of 16
// pairs: B's row k holds (W[r][2k], W[r][2k+1]) for 16 weight rows r. So the activations are A (positions
// by columns, loaded as they lie), each weight block is transposed as 32-bit pairs into B, and C is a
// block of y (positions by weight rows), accumulated in place over blocks of the columns.
//
// The activations are split into three bf16 parts, x = x1 + x2 + x3 (8 + 8 + 8 significant bits: all of a
// Float32's 24), and each is multiplied: the weights are exact in bf16, so the products are as exact as
// sgemm's. One rounding of x to bf16 (2^-9) would move a layer's output far past the parity tests'
// tolerances, and two parts (2^-17) still past the 1e-5 within which a chunked prefill meets single steps.
#include "ckernels.h"
#include "arch.h"
#include "amx_tiles.h"
#include <string.h>

#if CK_X86 && defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>

#define AMX __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bw,avx512vl")))

enum {
    ROWS = 32,       // weight rows per block: two B tiles
    KC = 512,        // columns per block: the activations' block (positions x KC, both halves) stays in L2
    STEPS = KC / 32, // tile products per block
    PARTS = 3        // bf16 parts of each activation
};

// Tiles 0-3 accumulate C, 4-5 hold A, 6-7 hold B.
static void configure(ck_tile_config *config, int positions) {
    memset(config, 0, sizeof *config);
    for (int t = 0; t < 8; t++) ck_tile_shape(config, t, t >= 6 ? 16 : positions, 64);  // B: 16 column pairs; A and C: a row per position
}

// The weight block rows [r, r + 32) x columns [k, k + 32 * steps) as B tiles: out[g][s] is the tile of rows
// r + 16 g and columns k + 32 s, its row i the pairs of columns (k + 32 s + 2 i, + 1) of the 16 rows: a 16 x 16
// transpose of 32-bit pairs.
AMX static void pack_weights(const uint16_t *w, size_t cols, size_t r, size_t k, int steps, uint32_t *out) {
    for (int g = 0; g < 2; g++) {
        for (int s = 0; s < steps; s++) {
            __m512i v[16];
            for (int i = 0; i < 16; i++) v[i] = _mm512_loadu_si512(w + (r + 16 * g + i) * cols + k + 32 * s);
            ck_transpose_dwords(v);
            uint32_t *tile = out + (g * STEPS + s) * 256;
            for (int i = 0; i < 16; i++) _mm512_store_si512(tile + 16 * i, v[i]);
        }
    }
}

// C (tiles 0-3: positions p and p + 16 by weight rows r and r + 16) over one column block: A from each part
// of the activations in turn (`x` the first part's block p, `plane` elements to the next part), B from the
// packed weights. `first` starts C at zero, else from y.
#define PRODUCT_2x2(x, plane, cols, k, steps, packed, y, ldy, first)                                           \
    do {                                                                                                       \
        if (first) {                                                                                           \
            _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);                                        \
        } else {                                                                                               \
            _tile_loadd(0, (y), (ldy) * 4); _tile_loadd(1, (y) + 16, (ldy) * 4);                               \
            _tile_loadd(2, (y) + 16 * (ldy), (ldy) * 4); _tile_loadd(3, (y) + 16 * (ldy) + 16, (ldy) * 4);     \
        }                                                                                                      \
        for (int s = 0; s < (steps); s++) {                                                                    \
            _tile_loadd(6, (packed) + s * 256, 64);                                                            \
            _tile_loadd(7, (packed) + (STEPS + s) * 256, 64);                                                  \
            for (int q = 0; q < PARTS; q++) {                                                                  \
                const uint16_t *a = (x) + q * (plane) + ((k) / 32 + s) * 512;                                  \
                _tile_loadd(4, a, 64);                                                                         \
                _tile_loadd(5, a + (cols) * 16, 64);                                                           \
                _tile_dpbf16ps(0, 4, 6); _tile_dpbf16ps(1, 4, 7);                                              \
                _tile_dpbf16ps(2, 5, 6); _tile_dpbf16ps(3, 5, 7);                                              \
            }                                                                                                  \
        }                                                                                                      \
        _tile_stored(0, (y), (ldy) * 4); _tile_stored(1, (y) + 16, (ldy) * 4);                                 \
        _tile_stored(2, (y) + 16 * (ldy), (ldy) * 4); _tile_stored(3, (y) + 16 * (ldy) + 16, (ldy) * 4);       \
    } while (0)

// The same for one block of positions (up to 16, as configured): tiles 0-1 and 4.
#define PRODUCT_1x2(x, plane, cols, k, steps, packed, y, ldy, first)                                           \
    do {                                                                                                       \
        if (first) {                                                                                           \
            _tile_zero(0); _tile_zero(1);                                                                      \
        } else {                                                                                               \
            _tile_loadd(0, (y), (ldy) * 4); _tile_loadd(1, (y) + 16, (ldy) * 4);                               \
        }                                                                                                      \
        for (int s = 0; s < (steps); s++) {                                                                    \
            _tile_loadd(6, (packed) + s * 256, 64);                                                            \
            _tile_loadd(7, (packed) + (STEPS + s) * 256, 64);                                                  \
            for (int q = 0; q < PARTS; q++) {                                                                  \
                _tile_loadd(4, (x) + q * (plane) + ((k) / 32 + s) * 512, 64);                                  \
                _tile_dpbf16ps(0, 4, 6); _tile_dpbf16ps(1, 4, 7);                                              \
            }                                                                                                  \
        }                                                                                                      \
        _tile_stored(0, (y), (ldy) * 4); _tile_stored(1, (y) + 16, (ldy) * 4);                                 \
    } while (0)

AMX void ck_matmul_bf16_amx(const uint16_t *w, size_t cols, const uint16_t *x, size_t count, float *y, size_t ldy,
                            size_t row_begin, size_t row_end) {
    static _Thread_local uint32_t packed[2 * STEPS * 256] __attribute__((aligned(64)));
    size_t whole = count / 16 * 16, rest = count - whole, plane = (count + 15) / 16 * 16 * cols;
    ck_tile_config full, tail;
    configure(&full, 16);
    configure(&tail, (int)rest);
    _tile_loadconfig(&full);
    for (size_t k = 0; k < cols; k += KC) {
        int steps = (int)((cols - k < KC ? cols - k : KC) / 32), first = k == 0;
        for (size_t r = row_begin; r < row_end; r += ROWS) {
            pack_weights(w, cols, r, k, steps, packed);
            size_t p = 0;
            for (; p + 32 <= whole; p += 32) PRODUCT_2x2(x + p * cols, plane, cols, k, steps, packed, y + p * ldy + r, ldy, first);
            if (p < whole) PRODUCT_1x2(x + p * cols, plane, cols, k, steps, packed, y + p * ldy + r, ldy, first);
            if (rest) {
                _tile_loadconfig(&tail);
                PRODUCT_1x2(x + whole * cols, plane, cols, k, steps, packed, y + whole * ldy + r, ldy, first);
                _tile_loadconfig(&full);
            }
        }
    }
    _tile_release();  // so the kernel need not save the tiles at each switch away from this thread
}

// The nearest bf16 (ties to even) of each element, in the low 16 bits; the activations are finite.
AMX static inline __m512i to_bf16(__m512 x) {
    __m512i bits = _mm512_castps_si512(x);
    __m512i odd = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
    return _mm512_srli_epi32(_mm512_add_epi32(bits, _mm512_add_epi32(odd, _mm512_set1_epi32(0x7FFF))), 16);
}

AMX void ck_split_bf16(const float *x, size_t count, size_t cols, uint16_t *parts) {
    size_t plane = (count + 15) / 16 * 16 * cols;
    for (size_t t = 0; t < count; t++) {
        for (size_t j = 0; j < cols / 32; j++) {
            uint16_t *at = parts + (t / 16 * (cols / 32) + j) * 512 + t % 16 * 32;
            for (int half = 0; half < 2; half++) {
                __m512 v = _mm512_loadu_ps(x + t * cols + 32 * j + 16 * half);
                for (int q = 0; q < PARTS; q++) {  // each part the bf16 nearest what the ones before left
                    __m512i b = to_bf16(v);
                    _mm256_store_si256((__m256i *)(at + q * plane + 16 * half), _mm512_cvtepi32_epi16(b));
                    v = _mm512_sub_ps(v, _mm512_castsi512_ps(_mm512_slli_epi32(b, 16)));
                }
            }
        }
    }
}

// CPUID leaf 7: EDX bit 22 AMX-BF16, bit 24 AMX-TILE, bit 25 AMX-INT8 (every AMX CPU so far has all three).
// Linux (5.16 on) hands a process the tiles' 8 KB of state only when asked: arch_prctl(ARCH_REQ_XCOMP_PERM,
// XFEATURE_XTILEDATA).
static int machine_amx(void) {
    unsigned a = 7, b, c = 0, d;
    __asm__("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    if (!((d >> 22) & 1) || !((d >> 24) & 1) || !((d >> 25) & 1)) return 0;
    return syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XFEATURE_XTILEDATA */) == 0;
}

int ck_machine_tiles(void) {
    static int granted = -1;
    int known = __atomic_load_n(&granted, __ATOMIC_ACQUIRE);
    if (known < 0) {
        known = machine_amx();
        __atomic_store_n(&granted, known, __ATOMIC_RELEASE);
    }
    return known;
}

int ck_amx(void) { return ck_isa() >= 5; }

#else

int ck_machine_tiles(void) { return 0; }
int ck_amx(void) { return 0; }

void ck_split_bf16(const float *x, size_t count, size_t cols, uint16_t *parts) {
    (void)x, (void)count, (void)cols, (void)parts;
}

void ck_matmul_bf16_amx(const uint16_t *w, size_t cols, const uint16_t *x, size_t count, float *y, size_t ldy,
                        size_t row_begin, size_t row_end) {
    (void)w, (void)cols, (void)x, (void)count, (void)y, (void)ldy, (void)row_begin, (void)row_end;
}

#endif
