// Block quantization of weights (at load) and of the input vector (once per product), in the
// interleaved group order of ckernels.h.
#include "ckernels.h"
#include "avx2_lanes.h"
#include "arch.h"
#include <math.h>
#include <string.h>

static inline int clamp_int(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Element e of a row: its interleaved position in the row.
static inline size_t position(size_t e) { return (e / CK_GROUP) * CK_GROUP + ck_interleaved(e % CK_GROUP); }

// Element e of row r in the nibbles of q4 (or the low bits of q6, whose groups take group_bytes): its
// byte, and whether it is the high nibble.
static inline size_t nibble_byte(size_t group_bytes, size_t cols, size_t r, size_t e, int *high) {
    size_t within = ck_interleaved(e % CK_GROUP);
    *high = within >= CK_GROUP / 2;
    return ck_pair_quants_at(group_bytes, cols, r, e / CK_GROUP) + within % (CK_GROUP / 2);
}

static inline int nibble_load(const uint8_t *data, size_t group_bytes, size_t cols, size_t r, size_t e) {
    int high;
    uint8_t byte = data[nibble_byte(group_bytes, cols, r, e, &high)];
    return high ? byte >> 4 : byte & 0x0F;
}

// The scale of block b of row r in either format's pair layout.
static inline uint16_t *block_scale(uint8_t *data, size_t group_bytes, size_t cols, size_t r, size_t b) {
    return (uint16_t *)(data + ck_pair_scales_at(group_bytes, cols, r, b / (CK_GROUP / CK_BLOCK))) + b % (CK_GROUP / CK_BLOCK);
}

static inline int8_t *q8_element(int8_t *data, size_t cols, size_t r, size_t e) {
    return data + ck_q8_quants_at(cols, r, e / CK_GROUP) + ck_interleaved(e % CK_GROUP);
}

void ck_quantize_q8_rows(const float *w, size_t cols, size_t r0, size_t r1, int8_t *data) {
    size_t blocks = cols / CK_BLOCK;
    for (size_t r = r0; r < r1; r++) {
        for (size_t b = 0; b < blocks; b++) {
            const float *src = w + (r - r0) * cols + b * CK_BLOCK;
            float amax = 0;
            for (int i = 0; i < CK_BLOCK; i++) amax = fmaxf(amax, fabsf(src[i]));
            // Quantize against the scale as it will be stored (f16), so dequantization is exact to it.
            uint16_t h = ck_f32_to_f16(amax / 127.0f);
            float scale = ck_f16_value(h);
            float inverse = scale > 0 ? 1.0f / scale : 0;
            for (int i = 0; i < CK_BLOCK; i++)
                *q8_element(data, cols, r, b * CK_BLOCK + i) = (int8_t)clamp_int((int)lrintf(src[i] * inverse), -127, 127);
            *block_scale((uint8_t *)data, CK_Q8_GROUP_BYTES, cols, r, b) = h;
        }
    }
}

static inline int q6_load(const uint8_t *data, size_t cols, size_t r, size_t e) {
    size_t p = ck_interleaved(e % CK_GROUP);
    uint8_t top = data[ck_q6_quants_at(cols, r, e / CK_GROUP) + 256 + p % 128];
    return nibble_load(data, CK_Q6_GROUP_BYTES, cols, r, e) | (((top >> (2 * (p / 128))) & 3) << 4);
}

// Squared error of a block under scale d (stored as f16) with levels lo...hi; the scale search runs it
// 17 times per block of every matrix at load, so it has a vector form.
static float block_error_portable(const float *src, float d, float lo, float hi) {
    float inverse = d != 0 ? 1.0f / d : 0, error = 0;
    for (int i = 0; i < CK_BLOCK; i++) {
        float q = fminf(fmaxf(rintf(src[i] * inverse), lo), hi);
        float e = d * q - src[i];
        error += e * e;
    }
    return error;
}

#if CK_X86
__attribute__((target("avx2,fma"))) static float block_error_avx2(const float *src, float d, float lo, float hi) {
    __m256 inverse = _mm256_set1_ps(d != 0 ? 1.0f / d : 0), scale = _mm256_set1_ps(d), sum = _mm256_setzero_ps();
    for (int i = 0; i < CK_BLOCK; i += 8) {
        __m256 x = _mm256_loadu_ps(src + i);
        __m256 q = _mm256_round_ps(_mm256_mul_ps(x, inverse), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        q = _mm256_min_ps(_mm256_max_ps(q, _mm256_set1_ps(lo)), _mm256_set1_ps(hi));
        __m256 e = _mm256_fmsub_ps(scale, q, x);
        sum = _mm256_fmadd_ps(e, e, sum);
    }
    return ck_sum8(sum);
}
#endif

// The error of a block under `step` as stored (f16, in *h).
static float step_error_portable(const float *src, float step, float lo, float hi, uint16_t *h) {
    *h = ck_f32_to_f16(step);
    return block_error_portable(src, ck_f16_value(*h), lo, hi);
}

#if CK_X86
__attribute__((target("avx2,fma,f16c"))) static float step_error_avx2(const float *src, float step, float lo, float hi, uint16_t *h) {
    *h = (uint16_t)_cvtss_sh(step, 0);
    return block_error_avx2(src, _cvtsh_ss(*h), lo, hi);
}

// Two steps at once in the two halves of 512-bit vectors, each half doing exactly what block_error_avx2
// does (the same operations on the same lanes in the same order), so the errors are the same floats.
#define AVX512_HALVES __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma,f16c")))
AVX512_HALVES static __m512 halves(float a, float b) {
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_set1_ps(a)), _mm256_castps_pd(_mm256_set1_ps(b)), 1));
}

AVX512_HALVES static void step_errors_avx512(const float *src, const float *step, float lo, float hi, uint16_t *h, float *error) {
    h[0] = (uint16_t)_cvtss_sh(step[0], 0), h[1] = (uint16_t)_cvtss_sh(step[1], 0);
    float d0 = _cvtsh_ss(h[0]), d1 = _cvtsh_ss(h[1]);
    __m512 inverse = halves(d0 != 0 ? 1.0f / d0 : 0, d1 != 0 ? 1.0f / d1 : 0), scale = halves(d0, d1), sum = _mm512_setzero_ps();
    for (int i = 0; i < CK_BLOCK; i += 8) {
        __m512 x = _mm512_castpd_ps(_mm512_broadcast_f64x4(_mm256_castps_pd(_mm256_loadu_ps(src + i))));
        __m512 q = _mm512_roundscale_ps(_mm512_mul_ps(x, inverse), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        q = _mm512_min_ps(_mm512_max_ps(q, _mm512_set1_ps(lo)), _mm512_set1_ps(hi));
        __m512 e = _mm512_fmsub_ps(scale, q, x);
        sum = _mm512_fmadd_ps(e, e, sum);
    }
    error[0] = ck_sum8(_mm512_castps512_ps256(sum));
    error[1] = ck_sum8(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(sum), 1)));
}
#endif

#if CK_NEON
// With NEON, 4 lanes at a time (its sums in another order than the portable loop's, so a near tie may
// pick the other of two steps of almost equal error).
static float step_error_neon(const float *src, float step, float lo, float hi, uint16_t *h) {
    float16x4_t half = vcvt_f16_f32(vdupq_n_f32(step));
    *h = vget_lane_u16(vreinterpret_u16_f16(half), 0);
    float d = vgetq_lane_f32(vcvt_f32_f16(half), 0);
    float32x4_t inverse = vdupq_n_f32(d != 0 ? 1.0f / d : 0), scale = vdupq_n_f32(d), sum = vdupq_n_f32(0);
    for (int i = 0; i < CK_BLOCK; i += 4) {
        float32x4_t x = vld1q_f32(src + i);
        float32x4_t q = vminq_f32(vmaxq_f32(vrndnq_f32(vmulq_f32(x, inverse)), vdupq_n_f32(lo)), vdupq_n_f32(hi));
        float32x4_t e = vsubq_f32(vmulq_f32(scale, q), x);
        sum = vfmaq_f32(sum, e, e);
    }
    return vaddvq_f32(sum);
}
#endif

// The f16 scale of a block with levels lo...hi (lo = -hi - 1). The value of largest magnitude maps to
// lo, the end of the range with one more step, so the block uses every level; then slightly larger
// steps are tried and the one with the least squared error kept (clipping the extreme can pay off for
// the other 31 values). Fewer levels leave larger steps, so q4 searches wider than q6. Inlined with
// `level` a constant: AVX2 (2) converts halves with F16C and measures errors 8 lanes at a time, AVX-512
// (3) two steps at a time, picking the same steps as AVX2; NEON (1) 4 lanes at a time.
__attribute__((always_inline)) static inline uint16_t block_scale_search(const float *src, int lo, float widest, int level) {
    float extreme = 0;
    for (int i = 0; i < CK_BLOCK; i++) if (fabsf(src[i]) > fabsf(extreme)) extreme = src[i];
    float low = (float)lo, high = (float)(-lo - 1);
    enum { STEPS = 17 };
    float steps[STEPS + 1], errors[STEPS + 1];
    uint16_t candidates[STEPS + 1];
    steps[0] = extreme / low;  // the extreme's own scale first, then 16 wider ones
    for (int k = 0; k < 16; k++) steps[k + 1] = extreme / (low * (widest + (1.075f - widest) * (float)k / 15.0f));
    steps[STEPS] = steps[0];  // a partner for the last step of a pair
#if CK_X86
    if (level >= 3) {
        for (int i = 0; i < STEPS; i += 2) step_errors_avx512(src, steps + i, low, high, candidates + i, errors + i);
    } else {
        for (int i = 0; i < STEPS; i++)
            errors[i] = level == 2 ? step_error_avx2(src, steps[i], low, high, candidates + i)
                                   : step_error_portable(src, steps[i], low, high, candidates + i);
    }
#elif CK_NEON
    for (int i = 0; i < STEPS; i++)
        errors[i] = level == 1 ? step_error_neon(src, steps[i], low, high, candidates + i)
                               : step_error_portable(src, steps[i], low, high, candidates + i);
#else
    (void)level;
    for (int i = 0; i < STEPS; i++) errors[i] = step_error_portable(src, steps[i], low, high, candidates + i);
#endif
    uint16_t h = candidates[0];
    float best = errors[0];
    for (int i = 1; i < STEPS; i++)
        if (errors[i] < best) best = errors[i], h = candidates[i];
    return h;
}

// A block's 32 levels u (0 ... 2^bits - 1) at their places in row r's pair layout. Element 4t + j of
// block k of a group sits at position p = 64t + 4k + j: its low four bits in byte p % 256 (the low nibble
// for t < 4, the high one after), so each of those bytes takes two elements of this block; for q6 its
// top two bits at bits 2 (p / 128) of byte 256 + p % 128, four elements of this block each.
static inline void store_levels(uint8_t *data, size_t cols, size_t r, size_t b, const uint8_t *u, int bits) {
    uint8_t *quants = data + ck_pair_quants_at(bits == 4 ? CK_Q4_GROUP_BYTES : CK_Q6_GROUP_BYTES, cols, r, b / 16);
    size_t k = b % 16;
    for (int t = 0; t < 4; t++)
        for (int j = 0; j < 4; j++)
            quants[64 * t + 4 * k + j] = (uint8_t)((u[4 * t + j] & 0x0F) | (u[4 * (t + 4) + j] & 0x0F) << 4);
    if (bits == 6)
        for (int t = 0; t < 2; t++)
            for (int j = 0; j < 4; j++) {
                uint8_t top = 0;
                for (int m = 0; m < 4; m++) top |= (uint8_t)((u[4 * (t + 2 * m) + j] >> 4) << (2 * m));
                quants[256 + 64 * t + 4 * k + j] = top;
            }
}

// q4 and q6 share the search and the rounding; they differ in levels and in how a value is stored.
__attribute__((always_inline)) static inline void levels_rows(const float *w, size_t cols, size_t r0, size_t r1,
                                                               uint8_t *data, int bits, int level) {
    size_t blocks = cols / CK_BLOCK;
    int lo = bits == 4 ? -8 : -32;
    size_t group_bytes = bits == 4 ? CK_Q4_GROUP_BYTES : CK_Q6_GROUP_BYTES;
    for (size_t r = r0; r < r1; r++) {
        for (size_t b = 0; b < blocks; b++) {
            const float *src = w + (r - r0) * cols + b * CK_BLOCK;
            uint16_t h = block_scale_search(src, lo, bits == 4 ? 0.70f : 0.85f, level);
            float scale = ck_f16_value(h);
            float inverse = scale != 0 ? 1.0f / scale : 0;
            uint8_t u[CK_BLOCK];
            for (int i = 0; i < CK_BLOCK; i++) u[i] = (uint8_t)(clamp_int((int)lrintf(src[i] * inverse), lo, -lo - 1) - lo);
            store_levels(data, cols, r, b, u, bits);
            *block_scale(data, group_bytes, cols, r, b) = h;
        }
    }
}

static void levels_rows_portable(const float *w, size_t cols, size_t r0, size_t r1, uint8_t *data, int bits) {
    levels_rows(w, cols, r0, r1, data, bits, 0);
}

#if CK_X86
__attribute__((target("avx2,fma,f16c"))) static void levels_rows_avx2(const float *w, size_t cols, size_t r0, size_t r1,
                                                                        uint8_t *data, int bits) {
    levels_rows(w, cols, r0, r1, data, bits, 2);
}

AVX512_HALVES static void levels_rows_avx512(const float *w, size_t cols, size_t r0, size_t r1, uint8_t *data, int bits) {
    levels_rows(w, cols, r0, r1, data, bits, 3);
}
#endif

static void quantize_levels_rows(const float *w, size_t cols, size_t r0, size_t r1, uint8_t *data, int bits) {
#if CK_NEON
    if (ck_isa() == 1) { levels_rows(w, cols, r0, r1, data, bits, 1); return; }
#endif
#if CK_X86
    if (ck_isa() >= 3) { levels_rows_avx512(w, cols, r0, r1, data, bits); return; }
    if (ck_isa() == 2) { levels_rows_avx2(w, cols, r0, r1, data, bits); return; }
#endif
    levels_rows_portable(w, cols, r0, r1, data, bits);
}

void ck_quantize_q4_rows(const float *w, size_t cols, size_t r0, size_t r1, uint8_t *data) {
    quantize_levels_rows(w, cols, r0, r1, data, 4);
}

void ck_quantize_q6_rows(const float *w, size_t cols, size_t r0, size_t r1, uint8_t *data) {
    quantize_levels_rows(w, cols, r0, r1, data, 6);
}

void ck_dequantize_q8_rows(ck_q8_matrix w, size_t cols, size_t valid, size_t r0, size_t r1, float *out) {
    for (size_t r = r0; r < r1; r++)
        for (size_t e = 0; e < valid; e++)
            out[(r - r0) * valid + e] = ck_q8_scale(w, cols, r, e / CK_BLOCK) * (float)ck_q8_value(w, cols, r, e);
}

void ck_dequantize_q6_rows(ck_q6_matrix w, size_t cols, size_t valid, size_t r0, size_t r1, float *out) {
    for (size_t r = r0; r < r1; r++)
        for (size_t e = 0; e < valid; e++)
            out[(r - r0) * valid + e] = ck_q6_scale(w, cols, r, e / CK_BLOCK) * (float)ck_q6_value(w, cols, r, e);
}

void ck_dequantize_q4_rows(ck_q4_matrix w, size_t cols, size_t valid, size_t r0, size_t r1, float *out) {
    for (size_t r = r0; r < r1; r++)
        for (size_t e = 0; e < valid; e++)
            out[(r - r0) * valid + e] = ck_q4_scale(w, cols, r, e / CK_BLOCK) * (float)ck_q4_value(w, cols, r, e);
}

// Block b of an input vector for the vector forms of ck_quantize_vector: in place where all its values
// are valid, else copied into `padded` with zeros past `valid`.
static inline const float *input_block(const float *x, size_t valid, size_t b, float *padded) {
    size_t base = b * CK_BLOCK;
    if (base + CK_BLOCK <= valid) return x + base;
    for (int i = 0; i < CK_BLOCK; i++) padded[i] = base + i < valid ? x[base + i] : 0.0f;
    return padded;
}

// Where block b's quants start in the interleaved vector: its elements 4t..4t + 3 at t * 64 from here.
static inline int8_t *input_block_quants(ck_q8_vector *out, size_t b) {
    return out->quants + (b * CK_BLOCK / CK_GROUP) * CK_GROUP + (b % (CK_GROUP / CK_BLOCK)) * 4;
}

#if CK_X86

// The same arithmetic 32 lanes at a time: every decode step quantizes a few hundred input vectors, and
// the caller's pool threads wait meanwhile. Element 4t + j of block k lands at t * 64 + k * 4 + j.
#define AVX512BW __attribute__((target("avx512f,avx512bw")))

// Block b of x (its first `valid` values, zeros after) to int32 lanes q0 (elements 0-15) and q1 (16-31); returns
// the block's scale. The one arithmetic of both input layouts, so the tiles meet the quants the VNNI kernels do.
AVX512BW static inline float quantize_block_avx512(const float *x, size_t valid, size_t b, __m512i *q0, __m512i *q1) {
    const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127);
    size_t base = b * CK_BLOCK;
    size_t n0 = valid > base ? (valid - base < 16 ? valid - base : 16) : 0;
    size_t n1 = valid > base + 16 ? (valid - base - 16 < 16 ? valid - base - 16 : 16) : 0;
    __m512 v0 = _mm512_maskz_loadu_ps((__mmask16)((1u << n0) - 1), x + base);
    __m512 v1 = _mm512_maskz_loadu_ps((__mmask16)((1u << n1) - 1), x + base + 16);
    float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
    float scale = amax / 127.0f;
    __m512 s = _mm512_set1_ps(scale > 0 ? 1.0f / scale : 0);
    *q0 = _mm512_min_epi32(_mm512_max_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(v0, s)), lo), hi);
    *q1 = _mm512_min_epi32(_mm512_max_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(v1, s)), lo), hi);
    return scale;
}

AVX512BW static void quantize_vector_avx512(const float *x, size_t valid, size_t cols, ck_q8_vector *out) {
    size_t blocks = cols / CK_BLOCK;
    for (size_t b = 0; b < blocks; b++) {
        __m512i q0, q1;
        float scale = quantize_block_avx512(x, valid, b, &q0, &q1);
        uint32_t chunks[8];
        _mm_storeu_si128((__m128i *)chunks, _mm512_cvtepi32_epi8(q0));
        _mm_storeu_si128((__m128i *)(chunks + 4), _mm512_cvtepi32_epi8(q1));
        int8_t *group = input_block_quants(out, b);
        for (int t = 0; t < 8; t++) memcpy(group + t * 64, chunks + t, 4);
        out->scales[b] = scale;
        out->sums[b] = _mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1));
    }
}

// The same per position of a batch, in the AMX kernels' layout (ckernels.h): a block of 16 positions' quants of
// one column block in a 512-byte run, their 16 scales together; positions past `count` up to a whole 16 are zero.
AVX512BW void ck_quantize_rows(const float *x, size_t ldx, size_t count, size_t valid, size_t cols, int8_t *quants,
                               float *scales) {
    const size_t blocks = cols / CK_BLOCK, padded = (count + 15) / 16 * 16;
    for (size_t t = 0; t < padded; t++) {
        for (size_t b = 0; b < blocks; b++) {
            __m512i q0, q1;
            float scale = quantize_block_avx512(x + t * ldx, t < count ? valid : 0, b, &q0, &q1);
            int8_t *tile_row = quants + (t / 16 * blocks + b) * 512 + t % 16 * CK_BLOCK;
            _mm_storeu_si128((__m128i *)tile_row, _mm512_cvtepi32_epi8(q0));
            _mm_storeu_si128((__m128i *)(tile_row + 16), _mm512_cvtepi32_epi8(q1));
            scales[(t / 16 * blocks + b) * 16 + t % 16] = scale;
        }
    }
}

// With AVX2, 8 lanes at a time; a block the valid values end inside goes through a zero-padded copy.
#define AVX2 __attribute__((target("avx2,fma")))
AVX2 static void quantize_vector_avx2(const float *x, size_t valid, size_t cols, ck_q8_vector *out) {
    size_t blocks = cols / CK_BLOCK;
    const __m256i lo = _mm256_set1_epi32(-127), hi = _mm256_set1_epi32(127);
    const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    for (size_t b = 0; b < blocks; b++) {
        float padded[CK_BLOCK];
        const float *src = input_block(x, valid, b, padded);
        __m256 v[4], top = _mm256_setzero_ps();
        for (int i = 0; i < 4; i++) {
            v[i] = _mm256_loadu_ps(src + 8 * i);
            top = _mm256_max_ps(top, _mm256_and_ps(v[i], magnitude));
        }
        float amax = ck_max8(top);
        float scale = amax / 127.0f;
        float inverse = scale > 0 ? 1.0f / scale : 0;
        __m256i q[4], sum = _mm256_setzero_si256();
        for (int i = 0; i < 4; i++) {
            q[i] = _mm256_min_epi32(_mm256_max_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(v[i], _mm256_set1_ps(inverse))), lo), hi);
            sum = _mm256_add_epi32(sum, q[i]);
        }
        // Packing works within 128-bit halves; the permutation puts the 32 bytes back in element order.
        __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
        bytes = _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        uint32_t chunks[8];
        _mm256_storeu_si256((__m256i *)chunks, bytes);
        int8_t *group = input_block_quants(out, b);
        for (int t = 0; t < 8; t++) memcpy(group + t * 64, chunks + t, 4);
        __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4E));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xB1));
        out->scales[b] = scale;
        out->sums[b] = _mm_cvtsi128_si32(s4);
    }
}

#else

void ck_quantize_rows(const float *x, size_t ldx, size_t count, size_t valid, size_t cols, int8_t *quants,
                      float *scales) {
    (void)x, (void)ldx, (void)count, (void)valid, (void)cols, (void)quants, (void)scales;
}

#endif  // CK_X86

#if CK_NEON
// With NEON, 4 lanes at a time, as the AVX2 form (the same arithmetic, so the same bytes).
static void quantize_vector_neon(const float *x, size_t valid, size_t cols, ck_q8_vector *out) {
    size_t blocks = cols / CK_BLOCK;
    for (size_t b = 0; b < blocks; b++) {
        float padded[CK_BLOCK];
        const float *src = input_block(x, valid, b, padded);
        float32x4_t v[8], top = vdupq_n_f32(0);
        for (int i = 0; i < 8; i++) {
            v[i] = vld1q_f32(src + 4 * i);
            top = vmaxq_f32(top, vabsq_f32(v[i]));
        }
        float scale = vmaxvq_f32(top) / 127.0f;
        float32x4_t inverse = vdupq_n_f32(scale > 0 ? 1.0f / scale : 0);
        int32x4_t q[8], sum = vdupq_n_s32(0);
        for (int i = 0; i < 8; i++) {
            q[i] = vminq_s32(vmaxq_s32(vcvtnq_s32_f32(vmulq_f32(v[i], inverse)), vdupq_n_s32(-127)), vdupq_n_s32(127));
            sum = vaddq_s32(sum, q[i]);
        }
        int8_t *group = input_block_quants(out, b);
        for (int t = 0; t < 8; t++) {  // elements 4t.. of the block: 4 bytes at t * 64
            int8x8_t bytes = vqmovn_s16(vcombine_s16(vqmovn_s32(q[t]), vdup_n_s16(0)));
            uint32_t word = vget_lane_u32(vreinterpret_u32_s8(bytes), 0);
            memcpy(group + t * 64, &word, 4);
        }
        out->scales[b] = scale;
        out->sums[b] = vaddvq_s32(sum);
    }
}
#endif

void ck_quantize_vector(const float *x, size_t valid, size_t cols, ck_q8_vector *out) {
#if CK_X86
    if (ck_isa() >= 3) { quantize_vector_avx512(x, valid, cols, out); return; }
    if (ck_isa() == 2) { quantize_vector_avx2(x, valid, cols, out); return; }
#elif CK_NEON
    if (ck_isa() == 1) { quantize_vector_neon(x, valid, cols, out); return; }
#endif
    size_t blocks = cols / CK_BLOCK;
    for (size_t b = 0; b < blocks; b++) {
        float src[CK_BLOCK];
        for (int i = 0; i < CK_BLOCK; i++) src[i] = b * CK_BLOCK + i < valid ? x[b * CK_BLOCK + i] : 0.0f;
        float amax = 0;
        for (int i = 0; i < CK_BLOCK; i++) amax = fmaxf(amax, fabsf(src[i]));
        float scale = amax / 127.0f;
        float inverse = scale > 0 ? 1.0f / scale : 0;
        int32_t sum = 0;
        for (int i = 0; i < CK_BLOCK; i++) {
            int q = clamp_int((int)lrintf(src[i] * inverse), -127, 127);
            out->quants[position(b * CK_BLOCK + i)] = (int8_t)q;
            sum += q;
        }
        out->scales[b] = scale;
        out->sums[b] = sum;
    }
}

// Used by the portable kernels.
int ck_q4_value(ck_q4_matrix w, size_t cols, size_t r, size_t e) { return nibble_load(w.data, CK_Q4_GROUP_BYTES, cols, r, e) - 8; }
int ck_q6_value(ck_q6_matrix w, size_t cols, size_t r, size_t e) { return q6_load(w.data, cols, r, e) - 32; }
int ck_q8_value(ck_q8_matrix w, size_t cols, size_t r, size_t e) { return *q8_element((int8_t *)w.data, cols, r, e); }
float ck_q4_scale(ck_q4_matrix w, size_t cols, size_t r, size_t b) {
    return ck_f16_value(*block_scale((uint8_t *)w.data, CK_Q4_GROUP_BYTES, cols, r, b));
}
float ck_q6_scale(ck_q6_matrix w, size_t cols, size_t r, size_t b) {
    return ck_f16_value(*block_scale((uint8_t *)w.data, CK_Q6_GROUP_BYTES, cols, r, b));
}
float ck_q8_scale(ck_q8_matrix w, size_t cols, size_t r, size_t b) {
    return ck_f16_value(*block_scale((uint8_t *)w.data, CK_Q8_GROUP_BYTES, cols, r, b));
}
int ck_vector_value(const int8_t *quants, size_t e) { return quants[position(e)]; }

// KV-cache rows (a head's keys or values at one position) to int8 with one scale each, and back.
void ck_quantize_kv_rows(const float *x, size_t rows, size_t d, int8_t *q, float *scales) {
    for (size_t r = 0; r < rows; r++) {
        const float *row = x + r * d;
        float inverse;
        scales[r] = ck_int8_row_scale(row, d, &inverse);
        for (size_t c = 0; c < d; c++) q[r * d + c] = (int8_t)lrintf(row[c] * inverse);
    }
}

void ck_dequantize_kv_rows(const int8_t *q, const float *scales, size_t rows, size_t d, float *out) {
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < d; c++) out[r * d + c] = scales[r] * (float)q[r * d + c];
}

// Each row rounded to its own int8 grid in place: what ck_quantize_kv_rows then ck_dequantize_kv_rows give.
void ck_round_rows_to_int8(float *x, size_t rows, size_t d) {
    for (size_t r = 0; r < rows; r++) {
        float *row = x + r * d, inverse, s = ck_int8_row_scale(row, d, &inverse);
        for (size_t c = 0; c < d; c++) row[c] = s * (float)(int8_t)lrintf(row[c] * inverse);
    }
}
