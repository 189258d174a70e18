// What attention.c shares with its grouped x86 kernels (attention_groups.c) and its NEON kernels
// (attention_neon.c): the cache's element types, the value scales' folding, and their entry points.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "arch.h"

enum { F32 = 0, F16 = 1, I8 = 2 };

// Query heads per kv head the grouped kernels take; head dimension the AVX2 grouped kernel takes.
#define GROUP_MAX 8
#define AVX2_GROUP_D 256

// Cache rows are read in long runs (a kv head's keys, then its values); prefetching this far ahead keeps
// a core's reads going while it multiplies.
#ifndef KV_AHEAD
#define KV_AHEAD 4096
#endif

// Folds the value rows' scales into the softmax weights of `group` queries (`scores` [group][n_keys]).
static inline __attribute__((always_inline)) void scale_weights(float *scores, size_t group, size_t n_keys, const float *value_scales) {
    if (!value_scales) return;
    for (size_t i = 0; i < group; i++)
        for (size_t j = 0; j < n_keys; j++) scores[i * n_keys + j] *= value_scales[j];
}

#if CK_X86
// Eight cached elements from index i as floats (AVX2): Float32, half or int8 (its row's scale applied elsewhere).
__attribute__((target("avx2,fma,f16c"), always_inline)) static inline __m256 ck_load8_avx2(const void *p, size_t i, int type) {
    if (type == F16) return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)p + i)));
    if (type == I8) return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)((const int8_t *)p + i))));
    return _mm256_loadu_ps((const float *)p + i);
}

// Replaces scores with e^(score - top) and returns their sum (AVX2).
float ck_softmax_from_top_avx2(float *scores, size_t n, float top);
// The query heads of one kv head together (attention_groups.c): q [group][d] (int8 caches: integer-valued
// floats with one scale each in qs), scores [group][n_keys] scratch, out [group][d]. AVX-512: d a multiple
// of 16; `vnni` takes int8 keys as bytes. AVX2 over int8: d a multiple of 32 up to AVX2_GROUP_D.
#define CK_GROUP_ARGS const float *q, const float *qs, const void *k, const void *v, const float *ks, const float *vs, \
                      float *out, float *scores, size_t group, size_t d, size_t n_keys, float scale, int vnni
void ck_attend_group_avx512_f32(CK_GROUP_ARGS);
void ck_attend_group_avx512_f16(CK_GROUP_ARGS);
void ck_attend_group_avx512_i8(CK_GROUP_ARGS);
#undef CK_GROUP_ARGS
void ck_attend_group_avx2_i8(const float *q, const float *qs, const int8_t *k, const int8_t *v, const float *ks,
                             const float *vs, float *out, float *scores, size_t group, size_t d, size_t n_keys,
                             float scale);
// AVX2 over a Float32 or half cache: d a multiple of 16 up to AVX2_GROUP_D.
void ck_attend_group_avx2_f32(const float *q, const float *k, const float *v, float *out, float *scores,
                              size_t group, size_t d, size_t n_keys, float scale);
void ck_attend_group_avx2_f16(const float *q, const uint16_t *k, const uint16_t *v, float *out, float *scores,
                              size_t group, size_t d, size_t n_keys, float scale);
#endif

#if CK_NEON
// One query head over n_keys cached rows of Float32, halves or int8 (one scale per row), as
// attend_portable: head dimension a multiple of 8.
void ck_attend_neon_f32(const float *q, const void *k, const void *v, const float *ks, const float *vs, float *out,
                        float *scores, size_t d, size_t n_keys, float scale);
void ck_attend_neon_f16(const float *q, const void *k, const void *v, const float *ks, const float *vs, float *out,
                        float *scores, size_t d, size_t n_keys, float scale);
void ck_attend_neon_i8(const float *q, const void *k, const void *v, const float *ks, const float *vs, float *out,
                       float *scores, size_t d, size_t n_keys, float scale);
void ck_softmax_neon(float *x, size_t n);
#endif
