// Matrix-vector products over float weights (f32, bf16, f16): memory-bound, so the inner loops
// only widen the stored elements and feed fused multiply-adds, with several accumulators in flight.
#include "ckernels.h"
#include "avx2_lanes.h"
#include "arch.h"
#include <string.h>

static inline float bf16_value(uint16_t bits) {
    uint32_t wide = (uint32_t)bits << 16;
    float f;
    memcpy(&f, &wide, 4);
    return f;
}

// ---- portable

static void f32_portable(const float *w, const float *x, float *y, size_t cols, size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
        const float *row = w + r * cols;
        float a[4] = {0, 0, 0, 0};
        size_t c = 0;
        for (; c + 4 <= cols; c += 4)
            for (int k = 0; k < 4; k++) a[k] += row[c + k] * x[c + k];
        float sum = (a[0] + a[1]) + (a[2] + a[3]);
        for (; c < cols; c++) sum += row[c] * x[c];
        y[r] = sum;
    }
}

static void bf16_portable(const uint16_t *w, const float *x, float *y, size_t cols, size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
        const uint16_t *row = w + r * cols;
        float a[4] = {0, 0, 0, 0};
        size_t c = 0;
        for (; c + 4 <= cols; c += 4)
            for (int k = 0; k < 4; k++) a[k] += bf16_value(row[c + k]) * x[c + k];
        float sum = (a[0] + a[1]) + (a[2] + a[3]);
        for (; c < cols; c++) sum += bf16_value(row[c]) * x[c];
        y[r] = sum;
    }
}

static void f16_portable(const uint16_t *w, const float *x, float *y, size_t cols, size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
        const uint16_t *row = w + r * cols;
        float sum = 0;
        for (size_t c = 0; c < cols; c++) sum += ck_f16_value(row[c]) * x[c];
        y[r] = sum;
    }
}

#if CK_NEON

// ---- NEON: 16 columns a step in four accumulators; one instance per element type.

enum { F32, BF16, F16 };

__attribute__((always_inline)) static inline float32x4_t load4(const void *row, size_t c, int type) {
    if (type == BF16) return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16((const uint16_t *)row + c), 16));
    if (type == F16) return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16((const uint16_t *)row + c)));
    return vld1q_f32((const float *)row + c);
}

__attribute__((always_inline)) static inline void rows_neon(const void *w, const float *x, float *y, size_t cols,
                                                             size_t r0, size_t r1, int type) {
    size_t bytes = type == F32 ? 4 : 2;
    for (size_t r = r0; r < r1; r++) {
        const void *row = (const char *)w + r * cols * bytes;
        float32x4_t a0 = vdupq_n_f32(0), a1 = a0, a2 = a0, a3 = a0;
        size_t c = 0;
        for (; c + 16 <= cols; c += 16) {
            a0 = vfmaq_f32(a0, load4(row, c, type), vld1q_f32(x + c));
            a1 = vfmaq_f32(a1, load4(row, c + 4, type), vld1q_f32(x + c + 4));
            a2 = vfmaq_f32(a2, load4(row, c + 8, type), vld1q_f32(x + c + 8));
            a3 = vfmaq_f32(a3, load4(row, c + 12, type), vld1q_f32(x + c + 12));
        }
        for (; c + 4 <= cols; c += 4) a0 = vfmaq_f32(a0, load4(row, c, type), vld1q_f32(x + c));
        float sum = vaddvq_f32(vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3)));
        for (; c < cols; c++) {
            float v = type == BF16 ? bf16_value(((const uint16_t *)row)[c])
                    : type == F16 ? ck_f16_value(((const uint16_t *)row)[c]) : ((const float *)row)[c];
            sum += v * x[c];
        }
        y[r] = sum;
    }
}

static void f32_neon(const float *w, const float *x, float *y, size_t cols, size_t r0, size_t r1) { rows_neon(w, x, y, cols, r0, r1, F32); }
static void bf16_neon(const uint16_t *w, const float *x, float *y, size_t cols, size_t r0, size_t r1) { rows_neon(w, x, y, cols, r0, r1, BF16); }
static void f16_neon(const uint16_t *w, const float *x, float *y, size_t cols, size_t r0, size_t r1) { rows_neon(w, x, y, cols, r0, r1, F16); }

#endif  // CK_NEON

#if CK_X86

// ---- AVX2 + FMA + F16C

#define AVX2 __attribute__((target("avx2,fma,f16c")))

AVX2 static inline __m256 load_bf16x8(const uint16_t *p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
}

AVX2 static void f32_avx2(const float *w, const float *x, float *y, size_t cols, size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
        const float *row = w + r * cols;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        size_t c = 0;
        for (; c + 32 <= cols; c += 32) {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(row + c), _mm256_loadu_ps(x + c), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(row + c + 8), _mm256_loadu_ps(x + c + 8), a1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(row + c + 16), _mm256_loadu_ps(x + c + 16), a2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(row + c + 24), _mm256_loadu_ps(x + c + 24), a3);
        }
        for (; c + 8 <= cols; c += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(row + c), _mm256_loadu_ps(x + c), a0);
        float sum = ck_sum8(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
        for (; c < cols; c++) sum += row[c] * x[c];
        y[r] = sum;
    }
}

// Bytes ahead of the current bf16 weights to prefetch into L1. The input is twice the weights' width
// in Float32 (32 KB for the MLP's down projection), and with the weights streaming through L1 beside
// it the hardware prefetcher fell behind: measured on one thread, 3072 x 8192 23 -> 32 GB/s,
// 8192 x 3072 34-36 -> 38 GB/s.
#define BF16_AHEAD 4096
// The AVX2 kernel's distance. On a 2-core AMD EPYC (Zen 3, AVX2 only) 4096 bytes ahead ran slower than
// no prefetch at all (one thread 13.3 -> 16.4 GB/s of a 20 GB/s probe); 1024 ran as fast as none
// (15.2-17.3) and at two threads the fastest (25-33 against 4096's 24-25 GB/s).
#define BF16_AHEAD_AVX2 1024

AVX2 static void bf16_avx2(const uint16_t *w, const float *x, float *y, size_t cols, size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
        const uint16_t *row = w + r * cols;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        size_t c = 0;
        for (; c + 32 <= cols; c += 32) {
            _mm_prefetch((const char *)(row + c) + BF16_AHEAD_AVX2, _MM_HINT_T0);
            a0 = _mm256_fmadd_ps(load_bf16x8(row + c), _mm256_loadu_ps(x + c), a0);
            a1 = _mm256_fmadd_ps(load_bf16x8(row + c + 8), _mm256_loadu_ps(x + c + 8), a1);
            a2 = _mm256_fmadd_ps(load_bf16x8(row + c + 16), _mm256_loadu_ps(x + c + 16), a2);
            a3 = _mm256_fmadd_ps(load_bf16x8(row + c + 24), _mm256_loadu_ps(x + c + 24), a3);
        }
        for (; c + 8 <= cols; c += 8) a0 = _mm256_fmadd_ps(load_bf16x8(row + c), _mm256_loadu_ps(x + c), a0);
        float sum = ck_sum8(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
        for (; c < cols; c++) sum += bf16_value(row[c]) * x[c];
        y[r] = sum;
    }
}

AVX2 static void f16_avx2(const uint16_t *w, const float *x, float *y, size_t cols, size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
        const uint16_t *row = w + r * cols;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0;
        size_t c = 0;
        for (; c + 16 <= cols; c += 16) {
            a0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + c))), _mm256_loadu_ps(x + c), a0);
            a1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + c + 8))), _mm256_loadu_ps(x + c + 8), a1);
        }
        float sum = ck_sum8(_mm256_add_ps(a0, a1));
        for (; c < cols; c++) sum += ck_f16_value(row[c]) * x[c];
        y[r] = sum;
    }
}

// ---- AVX-512

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma,f16c")))

AVX512 static inline __m512 load_bf16x16(const uint16_t *p) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p)), 16));
}

AVX512 static void f32_avx512(const float *w, const float *x, float *y, size_t cols, size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
        const float *row = w + r * cols;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        size_t c = 0;
        for (; c + 64 <= cols; c += 64) {
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(row + c), _mm512_loadu_ps(x + c), a0);
            a1 = _mm512_fmadd_ps(_mm512_loadu_ps(row + c + 16), _mm512_loadu_ps(x + c + 16), a1);
            a2 = _mm512_fmadd_ps(_mm512_loadu_ps(row + c + 32), _mm512_loadu_ps(x + c + 32), a2);
            a3 = _mm512_fmadd_ps(_mm512_loadu_ps(row + c + 48), _mm512_loadu_ps(x + c + 48), a3);
        }
        for (; c + 16 <= cols; c += 16) a0 = _mm512_fmadd_ps(_mm512_loadu_ps(row + c), _mm512_loadu_ps(x + c), a0);
        if (c < cols) {
            __mmask16 m = (__mmask16)((1u << (cols - c)) - 1);
            a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, row + c), _mm512_maskz_loadu_ps(m, x + c), a1);
        }
        y[r] = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
    }
}

AVX512 static void bf16_avx512(const uint16_t *w, const float *x, float *y, size_t cols, size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
        const uint16_t *row = w + r * cols;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        size_t c = 0;
        for (; c + 64 <= cols; c += 64) {
            _mm_prefetch((const char *)(row + c) + BF16_AHEAD, _MM_HINT_T0);
            _mm_prefetch((const char *)(row + c) + BF16_AHEAD + 64, _MM_HINT_T0);
            a0 = _mm512_fmadd_ps(load_bf16x16(row + c), _mm512_loadu_ps(x + c), a0);
            a1 = _mm512_fmadd_ps(load_bf16x16(row + c + 16), _mm512_loadu_ps(x + c + 16), a1);
            a2 = _mm512_fmadd_ps(load_bf16x16(row + c + 32), _mm512_loadu_ps(x + c + 32), a2);
            a3 = _mm512_fmadd_ps(load_bf16x16(row + c + 48), _mm512_loadu_ps(x + c + 48), a3);
        }
        for (; c + 16 <= cols; c += 16) a0 = _mm512_fmadd_ps(load_bf16x16(row + c), _mm512_loadu_ps(x + c), a0);
        if (c < cols) {
            __mmask16 m = (__mmask16)((1u << (cols - c)) - 1);
            __m512 wv = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, row + c)), 16));
            a1 = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(m, x + c), a1);
        }
        y[r] = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
    }
}

AVX512 static void f16_avx512(const uint16_t *w, const float *x, float *y, size_t cols, size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
        const uint16_t *row = w + r * cols;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0;
        size_t c = 0;
        for (; c + 32 <= cols; c += 32) {
            a0 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(row + c))), _mm512_loadu_ps(x + c), a0);
            a1 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(row + c + 16))), _mm512_loadu_ps(x + c + 16), a1);
        }
        float sum = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
        for (; c < cols; c++) sum += ck_f16_value(row[c]) * x[c];
        y[r] = sum;
    }
}

#endif  // CK_X86

// ---- dispatch

void ck_matvec_f32(const float *w, const float *x, float *y, size_t cols, size_t r0, size_t r1) {
#if CK_X86
    int isa = ck_isa();
    if (isa >= 3) { f32_avx512(w, x, y, cols, r0, r1); return; }
    if (isa == 2) { f32_avx2(w, x, y, cols, r0, r1); return; }
#elif CK_NEON
    if (ck_isa() == 1) { f32_neon(w, x, y, cols, r0, r1); return; }
#endif
    f32_portable(w, x, y, cols, r0, r1);
}

void ck_matvec_bf16(const uint16_t *w, const float *x, float *y, size_t cols, size_t r0, size_t r1) {
#if CK_X86
    int isa = ck_isa();
    if (isa >= 3) { bf16_avx512(w, x, y, cols, r0, r1); return; }
    if (isa == 2) { bf16_avx2(w, x, y, cols, r0, r1); return; }
#elif CK_NEON
    if (ck_isa() == 1) { bf16_neon(w, x, y, cols, r0, r1); return; }
#endif
    bf16_portable(w, x, y, cols, r0, r1);
}

void ck_matvec_f16(const uint16_t *w, const float *x, float *y, size_t cols, size_t r0, size_t r1) {
#if CK_X86
    int isa = ck_isa();
    if (isa >= 3) { f16_avx512(w, x, y, cols, r0, r1); return; }
    if (isa == 2) { f16_avx2(w, x, y, cols, r0, r1); return; }
#elif CK_NEON
    if (ck_isa() == 1) { f16_neon(w, x, y, cols, r0, r1); return; }
#endif
    f16_portable(w, x, y, cols, r0, r1);
}
