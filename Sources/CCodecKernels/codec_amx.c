// The codec's convolutions on AMX tiles (Intel's Sapphire Rapids and later), in Float32 accuracy.
//
// A tile product C[16 x 16] += A[16 x 32] B[32 x 16] multiplies bf16 and adds in Float32, sixteen times as
// many multiply-adds a cycle as AVX-512's Float32 FMAs. The codec's weights and signals are Float32, so each
// is split into two bf16 parts, v = hi + lo (16 of Float32's 24 significant bits), and three products are
// summed: W_hi x_hi + W_hi x_lo + W_lo x_hi. What is left out (W_lo x_lo and the bits below lo) is about
// 2^-16 of each product: a 60 dB parity margin needs 2^-10.
//
// A is the weight: 16 output channels by 16 pairs of input channels at one tap, packed once at load. B is the
// input: 16 pairs of input channels by 16 positions. Pairing channels (not taps) makes every B tile a strided
// load from one array built per panel of 128 positions, `pairs[c / 2][t]` = (x[c][t], x[c + 1][t]) in bf16 (after
// snake, when asked): each input value is split once, not once per tap. C is a block of the output, 32
// channels by 32 positions in four tiles.
#include "CodecKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>
#include "codec_vectors.h"

#define AMX __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bw,avx512vl,avx512dq")))

// 16 x 32 bf16: one tile of A or B.
#define TILE 512

typedef struct {
    uint8_t palette, start_row, reserved[14];
    uint16_t bytes_per_row[16];
    uint8_t rows[16];
} tile_config;

// The nearest bf16 (ties to even) of each lane, in the low 16 bits.
AMX static inline __m512i nearest_bf16(__m512 x) {
    __m512i bits = _mm512_castps_si512(x);
    __m512i odd = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
    return _mm512_srli_epi32(_mm512_add_epi32(bits, _mm512_add_epi32(odd, _mm512_set1_epi32(0x7FFF))), 16);
}

// hi = bf16(x), lo = bf16(x - hi), each in the low 16 bits of its lane.
AMX static inline void split(__m512 x, __m512i *hi, __m512i *lo) {
    *hi = nearest_bf16(x);
    *lo = nearest_bf16(_mm512_sub_ps(x, _mm512_castsi512_ps(_mm512_slli_epi32(*hi, 16))));
}

// The scalar split, for packing weights.
static inline uint16_t nearest_bf16_scalar(float x) {
    uint32_t bits;
    memcpy(&bits, &x, 4);
    return (uint16_t)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
}

static inline float widen_bf16(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float x;
    memcpy(&x, &bits, 4);
    return x;
}

long codec_amx_packed_count(long rows, long cin, long kernel) { return rows * cin * kernel * 2; }

// Step s is tap s / (cin / 32) of input channels 32 (s % (cin / 32)) + [0, 32); tile (block, s, part, half)
// holds rows block * 32 + half * 16 + [0, 16).
void codec_amx_pack(const float *w, long rows, long cin, long kernel, uint16_t *packed) {
    long groups = cin / 32, steps = kernel * groups;
    for (long block = 0; block < rows / 32; block++)
        for (long s = 0; s < steps; s++) {
            long j = s / groups, c0 = 32 * (s % groups);
            for (int half = 0; half < 2; half++)
                for (long r = 0; r < 16; r++)
                    for (long col = 0; col < 32; col++) {
                        float v = w[((block * 32 + half * 16 + r) * cin + c0 + col) * kernel + j];
                        uint16_t hi = nearest_bf16_scalar(v), lo = nearest_bf16_scalar(v - widen_bf16(hi));
                        packed[(((block * steps + s) * 2 + 0) * 2 + half) * TILE + r * 32 + col] = hi;
                        packed[(((block * steps + s) * 2 + 1) * 2 + half) * TILE + r * 32 + col] = lo;
                    }
        }
}

// Outputs whose inputs are split together: the taps' reach past them is split twice, once for each
// neighbouring panel, so wider panels split less twice (a dilation-9 tap reaches 54 past).
#define PANEL 128

// Positions a panel's pair rows hold: its outputs and the taps' reach, rounded up to whole vectors.
static long pair_row(long kernel, long dilation) { return (PANEL + (kernel - 1) * dilation + 15) / 16 * 16; }

long codec_amx_scratch_bytes(long cin, long kernel, long dilation) {
    return 2 * (cin / 2) * pair_row(kernel, dilation) * 4 + 32 * 32 * 4 + 64;
}

// pairs[part][cp * ld + t] for t < columns (a multiple of 16, at most ld): channels 2 cp and 2 cp + 1 at input
// column t0 + t (zero at and past `available`), split into hi and lo.
AMX static void build_pairs(const float *x, long ldx, long cin, long t0, long available, long ld, long columns,
                            const float *snake_alpha, uint32_t *hi_pairs, uint32_t *lo_pairs) {
    long valid = available - t0 < columns ? available - t0 : columns;
    for (long cp = 0; cp < cin / 2; cp++) {
        const float *row0 = x + 2 * cp * ldx + t0, *row1 = row0 + ldx;
        for (long t = 0; t < columns; t += 16) {
            __mmask16 mask = valid - t >= 16 ? 0xFFFF : valid > t ? (__mmask16)((1u << (valid - t)) - 1) : 0;
            __m512 v0 = _mm512_maskz_loadu_ps(mask, row0 + t), v1 = _mm512_maskz_loadu_ps(mask, row1 + t);
            // The next panel's inputs, one row stream per channel: too many streams for the hardware's
            // prefetcher, so narrow layers waited on memory for every row (2-3x slower without).
            _mm_prefetch((const char *)(row0 + t + PANEL), _MM_HINT_T1);
            _mm_prefetch((const char *)(row1 + t + PANEL), _MM_HINT_T1);
            if (snake_alpha) {  // snake(0) = 0: the zero lanes stay zero
                float a0 = snake_alpha[2 * cp], a1 = snake_alpha[2 * cp + 1];
                v16 s0 = (v16)v0, s1 = (v16)v1;
                SNAKE16(s0, a0, 1.0f / (a0 + 1e-9f), s0);
                SNAKE16(s1, a1, 1.0f / (a1 + 1e-9f), s1);
                v0 = (__m512)s0;
                v1 = (__m512)s1;
            }
            __m512i hi0, lo0, hi1, lo1;
            split(v0, &hi0, &lo0);
            split(v1, &hi1, &lo1);
            _mm512_store_si512(hi_pairs + cp * ld + t, _mm512_or_si512(hi0, _mm512_slli_epi32(hi1, 16)));
            _mm512_store_si512(lo_pairs + cp * ld + t, _mm512_or_si512(lo0, _mm512_slli_epi32(lo1, 16)));
        }
    }
}

AMX void codec_conv_amx(const uint16_t *packed, long cin, long kernel, long dilation,
                        const float *x, long ldx, float *y, long ldy, long count, const float *bias, int accumulate,
                        const float *snake_alpha, long panel_begin, long panel_end, long row_begin, long row_end,
                        void *scratch) {
    long groups = cin / 32, steps = kernel * groups, ld = pair_row(kernel, dilation);
    long available = count + (kernel - 1) * dilation;
    uint32_t *hi_pairs = (uint32_t *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    uint32_t *lo_pairs = hi_pairs + (cin / 2) * ld;
    float *c = (float *)(lo_pairs + (cin / 2) * ld);
    tile_config config;
    memset(&config, 0, sizeof config);
    config.palette = 1;
    for (int t = 0; t < 8; t++) { config.bytes_per_row[t] = 64; config.rows[t] = 16; }
    _tile_loadconfig(&config);
    for (long panel = panel_begin; panel < panel_end; panel++) {
        long p0 = panel * PANEL, width = count - p0 < PANEL ? count - p0 : PANEL;
        // A last block of 16 positions or fewer computes 16 (the pieces of a stream are often that short at the
        // low rates: 5 frames are 5 positions at the decoder's first layers), and only the columns read are built.
        long last = (width - 1) / 32 * 32, reads = last + (width - last <= 16 ? 16 : 32) + (kernel - 1) * dilation;
        build_pairs(x, ldx, cin, p0, available, ld, (reads + 15) / 16 * 16 < ld ? (reads + 15) / 16 * 16 : ld,
                    snake_alpha, hi_pairs, lo_pairs);
        for (long sub = 0; sub < width; sub += 32) {
            for (long r = row_begin; r < row_end; r += 32) {
                long t0 = p0 + sub, n = width - sub < 32 ? width - sub : 32;
                const uint16_t *a = packed + (r / 32) * steps * 4 * TILE;
                _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
                // tiles 0-3: C (rows r, r + 16) x (positions 0, 16), of which a narrow block (16 positions or
                // fewer) uses 0 and 2; 4-5: A; 6-7: B. W hi x lo, W hi x hi, W lo x hi: each change of operand
                // reloads two tiles (one of B when narrow): eight loads a step, seven when narrow.
                int wide = n > 16;
                for (long s = 0; s < steps; s++) {
                    const uint16_t *as = a + s * 4 * TILE;
                    long offset = 16 * (s % groups) * ld + sub + (s / groups) * dilation;  // channel pairs, position, tap
                    const uint32_t *bh = hi_pairs + offset, *bl = lo_pairs + offset;
                    _tile_loadd(4, as, 64); _tile_loadd(5, as + TILE, 64);                  // W hi
                    _tile_loadd(6, bl, ld * 4);                                             // x lo
                    _tile_dpbf16ps(0, 4, 6); _tile_dpbf16ps(2, 5, 6);
                    if (wide) { _tile_loadd(7, bl + 16, ld * 4); _tile_dpbf16ps(1, 4, 7); _tile_dpbf16ps(3, 5, 7); }
                    _tile_loadd(6, bh, ld * 4);                                             // x hi
                    _tile_dpbf16ps(0, 4, 6); _tile_dpbf16ps(2, 5, 6);
                    if (wide) { _tile_loadd(7, bh + 16, ld * 4); _tile_dpbf16ps(1, 4, 7); _tile_dpbf16ps(3, 5, 7); }
                    _tile_loadd(4, as + 2 * TILE, 64); _tile_loadd(5, as + 3 * TILE, 64);  // W lo
                    _tile_dpbf16ps(0, 4, 6); _tile_dpbf16ps(2, 5, 6);
                    if (wide) { _tile_dpbf16ps(1, 4, 7); _tile_dpbf16ps(3, 5, 7); }
                }
                _tile_stored(0, c, 128); _tile_stored(2, c + 16 * 32, 128);
                if (wide) { _tile_stored(1, c + 16, 128); _tile_stored(3, c + 16 * 32 + 16, 128); }
                for (long o = 0; o < 32; o++) {
                    float *out = y + (r + o) * ldy + t0;
                    _mm_prefetch((const char *)(out + PANEL), _MM_HINT_T0);  // this row in the next panel
                    _mm_prefetch((const char *)(out + PANEL + 16), _MM_HINT_T0);
                    __m512 shift = _mm512_set1_ps(bias ? bias[r + o] : 0.0f);
                    for (int h = 0; h < 2 && 16 * h < n; h++) {
                        long first = 16 * h;
                        __mmask16 valid = n - first >= 16 ? 0xFFFF : (__mmask16)((1u << (n - first)) - 1);
                        __m512 v = _mm512_add_ps(_mm512_loadu_ps(c + o * 32 + first), shift);
                        if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(valid, out + first));
                        _mm512_mask_storeu_ps(out + first, valid, v);
                    }
                }
            }
        }
    }
    _tile_release();
}

#else

long codec_amx_packed_count(long rows, long cin, long kernel) { return rows * cin * kernel * 2; }
long codec_amx_scratch_bytes(long cin, long kernel, long dilation) { (void)cin, (void)kernel, (void)dilation; return 0; }
void codec_amx_pack(const float *w, long rows, long cin, long kernel, uint16_t *packed) {
    (void)w, (void)rows, (void)cin, (void)kernel, (void)packed;
}
void codec_conv_amx(const uint16_t *packed, long cin, long kernel, long dilation,
                    const float *x, long ldx, float *y, long ldy, long count, const float *bias, int accumulate,
                    const float *snake_alpha, long panel_begin, long panel_end, long row_begin, long row_end,
                    void *scratch) {
    (void)packed, (void)cin, (void)kernel, (void)dilation, (void)x, (void)ldx, (void)y, (void)ldy, (void)count;
    (void)bias, (void)accumulate, (void)snake_alpha, (void)panel_begin, (void)panel_end, (void)row_begin;
    (void)row_end, (void)scratch;
}

#endif
