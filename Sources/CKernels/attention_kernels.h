// What attention.c shares with its NEON kernels (attention_neon.c): the cache's element types, the value
// scales' folding, and the NEON entry points.
#pragma once
#include <stddef.h>
#include "arch.h"

enum { F32 = 0, F16 = 1, I8 = 2 };

// Folds the value rows' scales into the softmax weights of `group` queries (`scores` [group][n_keys]).
static inline __attribute__((always_inline)) void scale_weights(float *scores, size_t group, size_t n_keys, const float *value_scales) {
    if (!value_scales) return;
    for (size_t i = 0; i < group; i++)
        for (size_t j = 0; j < n_keys; j++) scores[i * n_keys + j] *= value_scales[j];
}

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
