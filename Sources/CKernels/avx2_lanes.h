// Horizontal reductions of 8 float lanes, for the AVX2 kernels of every file (one definition each).
#pragma once
#include "arch.h"
#if CK_X86

// The sum of the 8 lanes of v.
__attribute__((target("avx2"), always_inline)) static inline float ck_sum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

// The largest of the 8 lanes of v.
__attribute__((target("avx2"), always_inline)) static inline float ck_max8(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    return _mm_cvtss_f32(_mm_max_ss(m, _mm_shuffle_ps(m, m, 1)));
}

#endif  // CK_X86
