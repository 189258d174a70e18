// Decode attention with NEON (aarch64), one query head at a time: attention.c's kernels for the
// processor the AVX2 and AVX-512 ones do not run on.
#include "attention_kernels.h"
#if CK_NEON
#include <math.h>
#include "exp_neon.h"
#include "neon_quants.h"

// Replaces scores with e^(score - top) and returns their sum.
static float softmax_in_place_neon(float *scores, size_t n, float top) {
    float32x4_t max = vdupq_n_f32(top), total = vdupq_n_f32(0);
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        float32x4_t e = ck_exp_neon(vsubq_f32(vld1q_f32(scores + j), max));
        vst1q_f32(scores + j, e);
        total = vaddq_f32(total, e);
    }
    float sum = vaddvq_f32(total);
    for (; j < n; j++) {
        scores[j] = expf(scores[j] - top);
        sum += scores[j];
    }
    return sum;
}

void ck_softmax_neon(float *x, size_t n) {
    float top = -INFINITY;
    for (size_t j = 0; j < n; j++) top = x[j] > top ? x[j] : top;
    float inverse = 1 / softmax_in_place_neon(x, n, top);
    for (size_t j = 0; j < n; j++) x[j] *= inverse;
}

NEON_INLINE float32x4x2_t load8_neon(const void *p, size_t i, int type) {
    float32x4x2_t r;
    if (type == F16) {
        float16x8_t h = vreinterpretq_f16_u16(vld1q_u16((const uint16_t *)p + i));
        r.val[0] = vcvt_f32_f16(vget_low_f16(h));
        r.val[1] = vcvt_high_f32_f16(h);
    } else if (type == I8) {
        int16x8_t w = vmovl_s8(vld1_s8((const int8_t *)p + i));
        r.val[0] = vcvtq_f32_s32(vmovl_s16(vget_low_s16(w)));
        r.val[1] = vcvtq_f32_s32(vmovl_high_s16(w));
    } else {
        r.val[0] = vld1q_f32((const float *)p + i);
        r.val[1] = vld1q_f32((const float *)p + i + 4);
    }
    return r;
}

// Scores of int8 keys for a query of integer values (as quantize_queries leaves them), as exact integer
// dot products 16 bytes at a time (sdot where `sdot`); d a multiple of 16, at most 256. Returns the top.
NEON_INLINE float int8_scores_neon(const float *q, const int8_t *k, const float *ks, float *scores, size_t d,
                                   size_t n_keys, float scale, int sdot) {
    int8_t query[256];
    for (size_t c = 0; c < d; c++) query[c] = (int8_t)q[c];
    float top = -INFINITY;
    for (size_t j = 0; j < n_keys; j++) {
        int32x4_t a0 = vdupq_n_s32(0), a1 = a0;
        size_t c = 0;
        for (; c + 32 <= d; c += 32) {
            a0 = ck_dot_neon(a0, vld1q_s8(query + c), vld1q_s8(k + j * d + c), sdot);
            a1 = ck_dot_neon(a1, vld1q_s8(query + c + 16), vld1q_s8(k + j * d + c + 16), sdot);
        }
        if (c < d) a0 = ck_dot_neon(a0, vld1q_s8(query + c), vld1q_s8(k + j * d + c), sdot);
        float s = (float)vaddvq_s32(vaddq_s32(a0, a1)) * (ks ? scale * ks[j] : scale);
        scores[j] = s;
        if (s > top) top = s;
    }
    return top;
}

NEON_INLINE void attend_neon(const float *q, const void *k, const void *v, const float *ks, const float *vs,
                             float *out, float *scores, size_t d, size_t n_keys, float scale, int type) {
    float top = -INFINITY;
    if (type == I8 && d % 16 == 0 && d <= 256) {
        top = ck_byte_dots() ? int8_scores_neon(q, k, ks, scores, d, n_keys, scale, 1)
                             : int8_scores_neon(q, k, ks, scores, d, n_keys, scale, 0);
    } else {
        for (size_t j = 0; j < n_keys; j++) {
            float32x4_t a0 = vdupq_n_f32(0), a1 = a0;
            for (size_t c = 0; c < d; c += 8) {
                float32x4x2_t key = load8_neon(k, j * d + c, type);
                a0 = vfmaq_f32(a0, vld1q_f32(q + c), key.val[0]);
                a1 = vfmaq_f32(a1, vld1q_f32(q + c + 4), key.val[1]);
            }
            float s = vaddvq_f32(vaddq_f32(a0, a1)) * (ks ? scale * ks[j] : scale);
            scores[j] = s;
            if (s > top) top = s;
        }
    }
    float sum = softmax_in_place_neon(scores, n_keys, top);
    scale_weights(scores, 1, n_keys, vs);
    // out = sum_j p_j v_j, 32 columns at a time in registers.
    float32x4_t inverse = vdupq_n_f32(1 / sum);
    for (size_t c0 = 0; c0 < d; c0 += 32) {
        size_t chunks = (d - c0 < 32 ? d - c0 : 32) / 8;
        float32x4_t acc[8];
        for (int i = 0; i < 8; i++) acc[i] = vdupq_n_f32(0);
        for (size_t j = 0; j < n_keys; j++) {
            float32x4_t p = vdupq_n_f32(scores[j]);
            for (size_t i = 0; i < chunks; i++) {
                float32x4x2_t value = load8_neon(v, j * d + c0 + 8 * i, type);
                acc[2 * i] = vfmaq_f32(acc[2 * i], p, value.val[0]);
                acc[2 * i + 1] = vfmaq_f32(acc[2 * i + 1], p, value.val[1]);
            }
        }
        for (size_t i = 0; i < 2 * chunks; i++) vst1q_f32(out + c0 + 4 * i, vmulq_f32(acc[i], inverse));
    }
}

// One instance per element type, so the loads inside are plain loads or conversions.
#define INSTANCE(suffix, type)                                                                                 \
    NEON void ck_attend_neon_##suffix(const float *q, const void *k, const void *v, const float *ks,            \
                                      const float *vs, float *out, float *scores, size_t d, size_t n_keys,     \
                                      float scale) {                                                          \
        attend_neon(q, k, v, ks, vs, out, scores, d, n_keys, scale, type);                                     \
    }
INSTANCE(f32, F32)
INSTANCE(f16, F16)
INSTANCE(i8, I8)

#endif  // CK_NEON
