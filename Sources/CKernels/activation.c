// Elementwise activations of the decode step. They run on one thread between the pool's products
// (the other cores wait), so they are vectorised rather than calling libm per element.
#include "ckernels.h"
#include "arch.h"
#include <math.h>
#include "exp_avx2.h"
#include "exp_neon.h"

static void swiglu_portable(float *gate, const float *up, size_t n) {
    for (size_t i = 0; i < n; i++) gate[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

#if CK_NEON
static void swiglu_neon(float *gate, const float *up, size_t n) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        float32x4_t g = vld1q_f32(gate + i);
        float32x4_t silu = vdivq_f32(g, vaddq_f32(vdupq_n_f32(1.0f), ck_exp_neon(vnegq_f32(g))));
        vst1q_f32(gate + i, vmulq_f32(silu, vld1q_f32(up + i)));
    }
    swiglu_portable(gate + i, up + i, n - i);
}
#endif

#if CK_X86

#define AVX512 __attribute__((target("avx512f")))

// e^x as 2^k · e^r, k = round(x / ln 2), |r| <= ln2 / 2, a degree-6 polynomial for e^r (relative error
// about 2e-7); x is clamped to [-87, 88] so 2^k stays a normal float: below, e^x is 0 to float precision
// (and 1 + e^x is 1); above, the result is ~1e38, enough for g / (1 + e^-g) to be 0.
AVX512 static inline __m512 exp16(__m512 x) {
    x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.0f)), _mm512_set1_ps(-87.0f));
    __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504089f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693145751953125f), x);
    r = _mm512_fnmadd_ps(k, _mm512_set1_ps(1.428606765330187e-06f), r);
    __m512 p = _mm512_set1_ps(1.0f / 720);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, k);
}

AVX512 static void swiglu_avx512(float *gate, const float *up, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 g = _mm512_loadu_ps(gate + i);
        __m512 e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), g));
        __m512 silu = _mm512_div_ps(g, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
        _mm512_storeu_ps(gate + i, _mm512_mul_ps(silu, _mm512_loadu_ps(up + i)));
    }
    swiglu_portable(gate + i, up + i, n - i);
}

__attribute__((target("avx2,fma"))) static void swiglu_avx2(float *gate, const float *up, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 g = _mm256_loadu_ps(gate + i);
        __m256 e = ck_exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), g));
        __m256 silu = _mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
    }
    swiglu_portable(gate + i, up + i, n - i);
}

#endif  // CK_X86

void ck_swiglu(float *gate, const float *up, size_t n) {
#if CK_X86
    if (ck_isa() >= 3) { swiglu_avx512(gate, up, n); return; }
    if (ck_isa() == 2) { swiglu_avx2(gate, up, n); return; }
#elif CK_NEON
    if (ck_isa() == 1) { swiglu_neon(gate, up, n); return; }
#endif
    swiglu_portable(gate, up, n);
}
