// Attention of one query position over a KV cache (the decode step): scores, softmax and the
// weighted sum of values, per query head, fused so nothing goes through BLAS for these small
// products and the exponentials are vectorised.
#include "ckernels.h"
#include <immintrin.h>
#include <math.h>

// ---- portable

static void attend_portable(const float *q, const float *k, const float *v, float *out, float *scores,
                            size_t d, size_t n_keys, float scale) {
    float top = -INFINITY;
    for (size_t j = 0; j < n_keys; j++) {
        const float *key = k + j * d;
        float s = 0;
        for (size_t c = 0; c < d; c++) s += q[c] * key[c];
        scores[j] = s * scale;
        if (scores[j] > top) top = scores[j];
    }
    float sum = 0;
    for (size_t j = 0; j < n_keys; j++) {
        scores[j] = expf(scores[j] - top);
        sum += scores[j];
    }
    float inverse = 1 / sum;
    for (size_t c = 0; c < d; c++) out[c] = 0;
    for (size_t j = 0; j < n_keys; j++) {
        const float *value = v + j * d;
        float p = scores[j] * inverse;
        for (size_t c = 0; c < d; c++) out[c] += p * value[c];
    }
}

// ---- AVX2 + FMA

#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

// e^x for x <= 0 (scores minus their maximum): 2^n * e^r with |r| <= ln2/2 and a degree-6
// polynomial for e^r, relative error about 2e-7.
AVX2 static inline __m256 exp_nonpositive(__m256 x) {
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504089f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187e-06f), r);
    __m256 p = _mm256_set1_ps(1.0f / 720);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

// Head dimension a multiple of 8 (64 and 128 in practice).
AVX2 static void attend_avx2(const float *q, const float *k, const float *v, float *out, float *scores,
                             size_t d, size_t n_keys, float scale) {
    float top = -INFINITY;
    for (size_t j = 0; j < n_keys; j++) {
        const float *key = k + j * d;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0;
        size_t c = 0;
        for (; c + 16 <= d; c += 16) {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + c), _mm256_loadu_ps(key + c), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + c + 8), _mm256_loadu_ps(key + c + 8), a1);
        }
        for (; c < d; c += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + c), _mm256_loadu_ps(key + c), a0);
        float s = hsum(_mm256_add_ps(a0, a1)) * scale;
        scores[j] = s;
        if (s > top) top = s;
    }
    __m256 max = _mm256_set1_ps(top), total = _mm256_setzero_ps();
    size_t j = 0;
    for (; j + 8 <= n_keys; j += 8) {
        __m256 e = exp_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(scores + j), max));
        _mm256_storeu_ps(scores + j, e);
        total = _mm256_add_ps(total, e);
    }
    float sum = hsum(total);
    for (; j < n_keys; j++) {
        scores[j] = expf(scores[j] - top);
        sum += scores[j];
    }
    // out = sum_j p_j v_j, a head at a time in registers (d <= 256: up to 32 accumulators of 8).
    float inverse = 1 / sum;
    for (size_t c0 = 0; c0 < d; c0 += 64) {
        size_t width = d - c0 < 64 ? d - c0 : 64;
        __m256 acc[8];
        for (int i = 0; i < 8; i++) acc[i] = _mm256_setzero_ps();
        for (size_t jj = 0; jj < n_keys; jj++) {
            __m256 p = _mm256_set1_ps(scores[jj]);
            const float *value = v + jj * d + c0;
            for (size_t i = 0; i < width / 8; i++) acc[i] = _mm256_fmadd_ps(p, _mm256_loadu_ps(value + 8 * i), acc[i]);
        }
        __m256 inv = _mm256_set1_ps(inverse);
        for (size_t i = 0; i < width / 8; i++) _mm256_storeu_ps(out + c0 + 8 * i, _mm256_mul_ps(acc[i], inv));
    }
}

void ck_attend_one(const float *q, const float *keys, const float *values, float *out, float *scores,
                   size_t group, size_t d, size_t capacity, size_t n_keys, float scale, size_t h0, size_t h1) {
    int vector = ck_isa() >= 2 && d % 8 == 0;
    for (size_t h = h0; h < h1; h++) {
        size_t g = h / group;
        const float *k = keys + g * capacity * d, *v = values + g * capacity * d;
        if (vector)
            attend_avx2(q + h * d, k, v, out + h * d, scores, d, n_keys, scale);
        else
            attend_portable(q + h * d, k, v, out + h * d, scores, d, n_keys, scale);
    }
}
