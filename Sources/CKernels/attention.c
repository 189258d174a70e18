// Attention of one query position over a KV cache (the decode step): scores, softmax and the
// weighted sum of values, per query head, fused so nothing goes through BLAS for these small
// products and the exponentials are vectorised.
//
// The cache holds Float32, IEEE half or int8 rows (int8 with one scale per row: a key's scale
// multiplies its score, a value's its weight). Each kernel is written once over the element type
// (`type` is a constant at every call, so the loads specialise when inlined): at a few hundred keys
// and more the decode step's attention is bound by reading the cache, and halves read half, int8 a
// quarter. Over int8 keys the queries are int8 too (one scale per query head), so every score is an
// exact integer dot product times three scales, whichever path computes it: the float paths multiply
// integer-valued floats (exact below 2^24) and VNNI multiplies bytes.
//
// Here: the portable and AVX2 kernels of one query head and the dispatch; the x86 kernels that take the
// query heads of a kv head together are in attention_groups.c, the NEON ones in attention_neon.c.
#include "ckernels.h"
#include "avx2_lanes.h"
#include "arch.h"
#include <math.h>
#include "exp_avx2.h"
#include "attention_kernels.h"

#define INLINE __attribute__((always_inline)) static inline


// ---- portable

INLINE float element(const void *p, size_t i, int type) {
    return type == F16 ? ck_f16_value(((const uint16_t *)p)[i])
         : type == I8 ? (float)((const int8_t *)p)[i] : ((const float *)p)[i];
}

INLINE void attend_portable(const float *q, const void *k, const void *v, const float *ks, const float *vs,
                            float *out, float *scores, size_t d, size_t n_keys, float scale, int type) {
    float top = -INFINITY;
    for (size_t j = 0; j < n_keys; j++) {
        float s = 0;
        for (size_t c = 0; c < d; c++) s += q[c] * element(k, j * d + c, type);
        scores[j] = s * (ks ? scale * ks[j] : scale);
        if (scores[j] > top) top = scores[j];
    }
    float sum = 0;
    for (size_t j = 0; j < n_keys; j++) {
        scores[j] = expf(scores[j] - top);
        sum += scores[j];
    }
    float inverse = 1 / sum;
    scale_weights(scores, 1, n_keys, vs);
    for (size_t c = 0; c < d; c++) out[c] = 0;
    for (size_t j = 0; j < n_keys; j++) {
        float p = scores[j] * inverse;
        for (size_t c = 0; c < d; c++) out[c] += p * element(v, j * d + c, type);
    }
}

#if CK_X86

// ---- AVX2 + FMA

#define AVX2 __attribute__((target("avx2,fma,f16c")))

// Replaces scores with e^(score - top) and returns their sum.
AVX2 float ck_softmax_from_top_avx2(float *scores, size_t n, float top) {
    __m256 max = _mm256_set1_ps(top), total = _mm256_setzero_ps();
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 e = ck_exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(scores + j), max));
        _mm256_storeu_ps(scores + j, e);
        total = _mm256_add_ps(total, e);
    }
    float sum = ck_sum8(total);
    for (; j < n; j++) {
        scores[j] = expf(scores[j] - top);
        sum += scores[j];
    }
    return sum;
}

AVX2 static void softmax_avx2(float *x, size_t n) {
    __m256 best = _mm256_set1_ps(-INFINITY);
    size_t j = 0;
    for (; j + 8 <= n; j += 8) best = _mm256_max_ps(best, _mm256_loadu_ps(x + j));
    float top = ck_max8(best);
    for (; j < n; j++) top = x[j] > top ? x[j] : top;
    __m256 inverse = _mm256_set1_ps(1 / ck_softmax_from_top_avx2(x, n, top));
    for (j = 0; j + 8 <= n; j += 8) _mm256_storeu_ps(x + j, _mm256_mul_ps(_mm256_loadu_ps(x + j), inverse));
    for (; j < n; j++) x[j] *= _mm256_cvtss_f32(inverse);
}

#endif  // CK_X86

void ck_softmax(float *x, size_t n) {
    if (n == 0) return;
#if CK_X86
    if (ck_isa() >= 2) { softmax_avx2(x, n); return; }
#elif CK_NEON
    if (ck_isa() == 1) { ck_softmax_neon(x, n); return; }
#endif
    float top = x[0];
    for (size_t j = 1; j < n; j++) top = x[j] > top ? x[j] : top;
    float sum = 0;
    for (size_t j = 0; j < n; j++) {
        x[j] = expf(x[j] - top);
        sum += x[j];
    }
    float inverse = 1 / sum;
    for (size_t j = 0; j < n; j++) x[j] *= inverse;
}

#if CK_X86

// Head dimension a multiple of 8 (64 and 128 in practice).
AVX2 INLINE void attend_avx2(const float *q, const void *k, const void *v, const float *ks, const float *vs,
                             float *out, float *scores, size_t d, size_t n_keys, float scale, int type) {
    float top = -INFINITY;
    for (size_t j = 0; j < n_keys; j++) {
        size_t key = j * d;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0;
        size_t c = 0;
        for (; c + 16 <= d; c += 16) {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + c), ck_load8_avx2(k, key + c, type), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + c + 8), ck_load8_avx2(k, key + c + 8, type), a1);
        }
        for (; c < d; c += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + c), ck_load8_avx2(k, key + c, type), a0);
        float s = ck_sum8(_mm256_add_ps(a0, a1)) * (ks ? scale * ks[j] : scale);
        scores[j] = s;
        if (s > top) top = s;
    }
    float sum = ck_softmax_from_top_avx2(scores, n_keys, top);
    scale_weights(scores, 1, n_keys, vs);
    // out = sum_j p_j v_j, a head at a time in registers (d <= 256: up to 32 accumulators of 8).
    float inverse = 1 / sum;
    for (size_t c0 = 0; c0 < d; c0 += 64) {
        size_t width = d - c0 < 64 ? d - c0 : 64;
        __m256 acc[8];
        for (int i = 0; i < 8; i++) acc[i] = _mm256_setzero_ps();
        for (size_t jj = 0; jj < n_keys; jj++) {
            __m256 p = _mm256_set1_ps(scores[jj]);
            size_t value = jj * d + c0;
            for (size_t i = 0; i < width / 8; i++) acc[i] = _mm256_fmadd_ps(p, ck_load8_avx2(v, value + 8 * i, type), acc[i]);
        }
        __m256 inv = _mm256_set1_ps(inverse);
        for (size_t i = 0; i < width / 8; i++) _mm256_storeu_ps(out + c0 + 8 * i, _mm256_mul_ps(acc[i], inv));
    }
}

#endif  // CK_X86

// One instance of each kernel per element type, so the loads inside are plain loads or conversions.
typedef void (*single_fn)(const float *, const void *, const void *, const float *, const float *, float *, float *,
                          size_t, size_t, float);
typedef void (*group_fn)(const float *, const float *, const void *, const void *, const float *, const float *, float *,
                         float *, size_t, size_t, size_t, float, int);
#define INSTANCES(suffix, type)                                                                                \
    static void attend_portable_##suffix(const float *q, const void *k, const void *v, const float *ks,         \
                                         const float *vs, float *out, float *scores, size_t d, size_t n_keys,  \
                                         float scale) {                                                       \
        attend_portable(q, k, v, ks, vs, out, scores, d, n_keys, scale, type);                                 \
    }
INSTANCES(f32, F32)
INSTANCES(f16, F16)
INSTANCES(i8, I8)


#if CK_X86
#define X86_INSTANCES(suffix, type)                                                                            \
    AVX2 static void attend_avx2_##suffix(const float *q, const void *k, const void *v, const float *ks,         \
                                          const float *vs, float *out, float *scores, size_t d, size_t n_keys, \
                                          float scale) {                                                      \
        attend_avx2(q, k, v, ks, vs, out, scores, d, n_keys, scale, type);                                     \
    }
X86_INSTANCES(f32, F32)
X86_INSTANCES(f16, F16)
X86_INSTANCES(i8, I8)
#endif  // CK_X86

// Query heads to int8 (one scale each, max |q| / 127), kept as integer-valued floats.
static void quantize_queries(const float *q, size_t n, size_t d, float *integers, float *scales) {
    for (size_t i = 0; i < n; i++) {
        const float *row = q + i * d;
        float inverse;
        scales[i] = ck_int8_row_scale(row, d, &inverse);
        for (size_t c = 0; c < d; c++) integers[i * d + c] = (float)lrintf(row[c] * inverse);
    }
}

// `element` bytes per cached value; int8 rows come with one scale per row (`key_scales`,
// `value_scales`: [kv head][capacity]), the other types with none.
static void attend_kv_heads(const float *q, const void *keys, const void *values, const float *key_scales,
                            const float *value_scales, size_t element, float *out, float *scores, size_t group,
                            size_t d, size_t capacity, size_t n_keys, float scale, size_t g0, size_t g1) {
    int isa = ck_isa();
    float integers[element == 1 ? group * d : 1], query_scales[element == 1 ? group : 1];
    single_fn portable = element == 1 ? attend_portable_i8 : element == 2 ? attend_portable_f16 : attend_portable_f32;
#if CK_X86
    single_fn avx2 = element == 1 ? attend_avx2_i8 : element == 2 ? attend_avx2_f16 : attend_avx2_f32;
    group_fn avx512 = element == 1 ? ck_attend_group_avx512_i8 : element == 2 ? ck_attend_group_avx512_f16 : ck_attend_group_avx512_f32;
#elif CK_NEON
    single_fn neon = element == 1 ? ck_attend_neon_i8 : element == 2 ? ck_attend_neon_f16 : ck_attend_neon_f32;
#endif
    for (size_t g = g0; g < g1; g++) {
        const char *k = (const char *)keys + g * capacity * d * element;
        const char *v = (const char *)values + g * capacity * d * element;
        const float *ks = key_scales ? key_scales + g * capacity : NULL;
        const float *vs = value_scales ? value_scales + g * capacity : NULL;
        const float *qg = q + g * group * d, *qs = NULL;
        float *og = out + g * group * d;
        if (element == 1) {
            quantize_queries(qg, group, d, integers, query_scales);
            qg = integers, qs = query_scales;
        }
#if CK_X86
        if (isa >= 3 && d % 16 == 0 && group <= GROUP_MAX) {
            avx512(qg, qs, k, v, ks, vs, og, scores, group, d, n_keys, scale, isa >= 4);
            continue;
        }
        if (isa == 2 && element == 1 && d % 32 == 0 && d <= AVX2_GROUP_D && group <= GROUP_MAX) {
            ck_attend_group_avx2_i8(qg, qs, (const int8_t *)k, (const int8_t *)v, ks, vs, og, scores, group, d, n_keys, scale);
            continue;
        }
        if (isa == 2 && element != 1 && d % 16 == 0 && d <= AVX2_GROUP_D && group <= GROUP_MAX) {
            if (element == 2) ck_attend_group_avx2_f16(qg, (const uint16_t *)k, (const uint16_t *)v, og, scores, group, d, n_keys, scale);
            else ck_attend_group_avx2_f32(qg, (const float *)k, (const float *)v, og, scores, group, d, n_keys, scale);
            continue;
        }
        single_fn single = isa >= 2 && d % 8 == 0 ? avx2 : portable;
#elif CK_NEON
        single_fn single = isa >= 1 && d % 8 == 0 ? neon : portable;
#else
        single_fn single = portable;
        (void)isa;
#endif
        for (size_t i = 0; i < group; i++)
            single(qg + i * d, k, v, ks, vs, og + i * d, scores, d, n_keys, qs ? scale * qs[i] : scale);
    }
}

void ck_attend_kv_heads(const float *q, const float *keys, const float *values, float *out, float *scores,
                        size_t group, size_t d, size_t capacity, size_t n_keys, float scale, size_t g0, size_t g1) {
    attend_kv_heads(q, keys, values, NULL, NULL, sizeof(float), out, scores, group, d, capacity, n_keys, scale, g0, g1);
}

void ck_attend_kv_heads_f16(const float *q, const uint16_t *keys, const uint16_t *values, float *out, float *scores,
                            size_t group, size_t d, size_t capacity, size_t n_keys, float scale, size_t g0, size_t g1) {
    attend_kv_heads(q, keys, values, NULL, NULL, sizeof(uint16_t), out, scores, group, d, capacity, n_keys, scale, g0, g1);
}

void ck_attend_kv_heads_i8(const float *q, const int8_t *keys, const int8_t *values, const float *key_scales,
                           const float *value_scales, float *out, float *scores, size_t group, size_t d,
                           size_t capacity, size_t n_keys, float scale, size_t g0, size_t g1) {
    attend_kv_heads(q, keys, values, key_scales, value_scales, 1, out, scores, group, d, capacity, n_keys, scale, g0, g1);
}
