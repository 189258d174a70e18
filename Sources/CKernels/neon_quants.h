// The NEON kernels' view of the quantized formats (matvec_quant.c and matmul_quant.c): a row's weights
// as signed bytes 16 at a time, and the 4-byte dot products that take them.
#pragma once
#include "arch.h"
#if CK_NEON
#include <stdint.h>
#include "ckernels.h"

// Every NEON function that may hold sdot is compiled for it; sdot runs only where `sdot` is set (a
// constant in each instance), and the instances without it run on cores without (checked under qemu
// as a Cortex-A72, Tools/arm64/check.sh).
#define NEON __attribute__((target("arch=armv8.2-a+dotprod")))
#define NEON_INLINE NEON __attribute__((always_inline)) static inline

// acc plus, per 32-bit lane, the sum of 4 byte products (signed by signed): sdot where the core has the
// dot-product instructions, else widening multiplies and pairwise sums (a product of two int8 fits in
// 16 bits).
NEON_INLINE int32x4_t ck_dot_neon(int32x4_t acc, int8x16_t a, int8x16_t b, int sdot) {
    if (sdot) return vdotq_s32(acc, a, b);
    int16x8_t lo = vmull_s8(vget_low_s8(a), vget_low_s8(b)), hi = vmull_high_s8(a, b);
    return vaddq_s32(acc, vpaddq_s32(vpaddlq_s16(lo), vpaddlq_s16(hi)));
}

// The signed weights of packed chunk c of a q4 or q6 group (`bits` 4 or 6; c < 16): positions 16c..
// (the low nibbles) in *low and 256 + 16c.. (the high nibbles) in *high, less the format's offset
// (8, 32). A q6 position p has its top bits at bits 2 (p / 128) of plane byte p % 128, moved to bits
// 4-5 here. A 16-byte chunk of positions holds 4 elements of 4 blocks: chunk c's are blocks
// 4 (c % 4)..4 (c % 4) + 3, as are those of a q8 group's chunk c (< 32, the signed bytes as stored).
NEON_INLINE void ck_nibble_weights_neon(int bits, const uint8_t *group, int c, int8x16_t *low, int8x16_t *high) {
    const uint8x16_t mask = vdupq_n_u8(0x0F), top = vdupq_n_u8(0x30);
    uint8x16_t packed = vld1q_u8(group + 16 * c);
    uint8x16_t lo = vandq_u8(packed, mask), hi = vshrq_n_u8(packed, 4);
    if (bits == 6) {
        uint8x16_t plane = vld1q_u8(group + 256 + 16 * (c % 8));
        int shift = 2 * (c / 8);
        lo = vorrq_u8(lo, vandq_u8(vshlq_u8(plane, vdupq_n_s8((int8_t)(4 - shift))), top));
        hi = vorrq_u8(hi, vandq_u8(vshlq_u8(plane, vdupq_n_s8((int8_t)(-shift))), top));
    }
    const int8x16_t offset = vdupq_n_s8(bits == 6 ? 32 : 8);
    *low = vsubq_s8(vreinterpretq_s8_u8(lo), offset);
    *high = vsubq_s8(vreinterpretq_s8_u8(hi), offset);
}

// The scales of 4 blocks (4k..4k + 3): the weights' (f16) times the input's.
NEON_INLINE float32x4_t ck_block_scales_neon(const uint16_t *weight_scales, const float *input_scales) {
    return vmulq_f32(vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(weight_scales))), vld1q_f32(input_scales));
}

#endif  // CK_NEON
