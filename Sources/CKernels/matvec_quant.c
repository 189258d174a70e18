// Matrix-vector products over block-quantized weights with an int8-quantized input: integer dot
// products summed per block across a whole 512-column group (see the layout in ckernels.h), then
// one conversion and one multiply by the 16 block scales (weight x input) per group.
//
// The integer units multiply unsigned by signed bytes, so weights enter as unsigned values u = q + c
// and dot(q, x) = dot(u, x) - c * sum(x) per block: c = 8 for q4's nibbles, 32 for q6, and c = 128 for
// q8 with VNNI (a flip of the sign bit). Without VNNI, maddubs adds pairs in 16 bits, which u = q + 128
// would overflow, so q8 moves q's sign onto x instead (|q| times +-x).
#include "ckernels.h"
#include "avx2_lanes.h"
#include "arch.h"
#include "q6_bits.h"
#include "neon_quants.h"

int ck_vector_value(const int8_t *quants, size_t e);  // quantize.c

// The kernels are written once over the format, a constant at each call once inlined.
typedef enum { Q8, Q6, Q4 } format;
#define INLINE __attribute__((always_inline)) static inline

// Bytes of one row's group in the pair layout.
static inline size_t group_bytes(format f) {
    return f == Q8 ? CK_Q8_GROUP_BYTES : f == Q6 ? CK_Q6_GROUP_BYTES : CK_Q4_GROUP_BYTES;
}

// ---- portable (element by element through the layout functions)

INLINE int value_portable(format f, const uint8_t *data, size_t cols, size_t r, size_t e) {
    if (f == Q8) return ck_q8_value((ck_q8_matrix){(const int8_t *)data}, cols, r, e);
    return f == Q6 ? ck_q6_value((ck_q6_matrix){data}, cols, r, e) : ck_q4_value((ck_q4_matrix){data}, cols, r, e);
}

INLINE float scale_portable(format f, const uint8_t *data, size_t cols, size_t r, size_t b) {
    if (f == Q8) return ck_q8_scale((ck_q8_matrix){(const int8_t *)data}, cols, r, b);
    return f == Q6 ? ck_q6_scale((ck_q6_matrix){data}, cols, r, b) : ck_q4_scale((ck_q4_matrix){data}, cols, r, b);
}

INLINE void rows_portable(format f, const uint8_t *data, const ck_q8_vector *x, float *y, size_t cols, size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
        float sum = 0;
        for (size_t b = 0; b < cols / CK_BLOCK; b++) {
            int32_t dot = 0;
            for (size_t e = b * CK_BLOCK; e < (b + 1) * CK_BLOCK; e++)
                dot += value_portable(f, data, cols, r, e) * ck_vector_value(x->quants, e);
            sum += (float)dot * scale_portable(f, data, cols, r, b) * x->scales[b];
        }
        y[r] = sum;
    }
}

static void q8_portable(ck_q8_matrix w, const ck_q8_vector *x, float *y, size_t cols, size_t r0, size_t r1) {
    rows_portable(Q8, (const uint8_t *)w.data, x, y, cols, r0, r1);
}

static void q6_portable(ck_q6_matrix w, const ck_q8_vector *x, float *y, size_t cols, size_t r0, size_t r1) {
    rows_portable(Q6, w.data, x, y, cols, r0, r1);
}

static void q4_portable(ck_q4_matrix w, const ck_q8_vector *x, float *y, size_t cols, size_t r0, size_t r1) {
    rows_portable(Q4, w.data, x, y, cols, r0, r1);
}

#if CK_NEON

// ---- NEON (aarch64): a 16-byte vector carries 4 elements of 4 blocks; a group's 16 block dots sit in
// four vectors of 4 lanes. Weights enter as signed values (q4's nibbles and q6's six bits less their
// offset), so the input's block sums are not needed.

// Lane i of d[k] is block 4k + i's dot.
typedef struct { int32x4_t d[4]; } dots_neon;

NEON_INLINE dots_neon group_neon(format f, const uint8_t *wq, const int8_t *xq, int sdot) {
    dots_neon r;
    for (int k = 0; k < 4; k++) r.d[k] = vdupq_n_s32(0);
    if (f == Q8) {
        for (int c = 0; c < 32; c++)
            r.d[c % 4] = ck_dot_neon(r.d[c % 4], vld1q_s8((const int8_t *)wq + 16 * c), vld1q_s8(xq + 16 * c), sdot);
        return r;
    }
    for (int c = 0; c < 16; c++) {
        int8x16_t low, high;
        ck_nibble_weights_neon(f == Q6 ? 6 : 4, wq, c, &low, &high);
        r.d[c % 4] = ck_dot_neon(r.d[c % 4], low, vld1q_s8(xq + 16 * c), sdot);
        r.d[c % 4] = ck_dot_neon(r.d[c % 4], high, vld1q_s8(xq + 256 + 16 * c), sdot);
    }
    return r;
}

NEON_INLINE float32x4_t weigh_neon(dots_neon d, const uint16_t *ws, const float *xs, float32x4_t acc) {
    for (int k = 0; k < 4; k++) acc = vfmaq_f32(acc, vcvtq_f32_s32(d.d[k]), ck_block_scales_neon(ws + 4 * k, xs + 4 * k));
    return acc;
}

NEON_INLINE float row_neon(format f, const uint8_t *data, const ck_q8_vector *x, size_t cols, size_t r, int sdot) {
    size_t bytes = group_bytes(f);
    float32x4_t acc = vdupq_n_f32(0);
    for (size_t g = 0; g < cols / CK_GROUP; g++) {
        dots_neon d = group_neon(f, data + ck_pair_quants_at(bytes, cols, r, g), x->quants + g * CK_GROUP, sdot);
        acc = weigh_neon(d, (const uint16_t *)(data + ck_pair_scales_at(bytes, cols, r, g)), x->scales + g * 16, acc);
    }
    return vaddvq_f32(acc);
}

// Pairs of rows, as the x86 kernels take them.
NEON_INLINE void rows_neon(format f, const uint8_t *data, const ck_q8_vector *x, float *y, size_t cols, size_t r0, size_t r1,
                      int sdot) {
    size_t bytes = group_bytes(f);
    if (r0 < r1 && r0 % 2) { y[r0] = row_neon(f, data, x, cols, r0, sdot); r0++; }
    for (size_t r = r0; r + 2 <= r1; r += 2) {
        float32x4_t acc_a = vdupq_n_f32(0), acc_b = acc_a;
        for (size_t g = 0; g < cols / CK_GROUP; g++) {
            const uint8_t *block = data + ck_pair_quants_at(bytes, cols, r, g);
            const int8_t *xq = x->quants + g * CK_GROUP;
            const uint16_t *scales = (const uint16_t *)(block + 2 * bytes);
            ck_fetch_ahead(block, ck_pair_block_bytes(bytes));
            acc_a = weigh_neon(group_neon(f, block, xq, sdot), scales, x->scales + g * 16, acc_a);
            acc_b = weigh_neon(group_neon(f, block + bytes, xq, sdot), scales + 16, x->scales + g * 16, acc_b);
        }
        y[r] = vaddvq_f32(acc_a);
        y[r + 1] = vaddvq_f32(acc_b);
    }
    if (r0 < r1 && (r1 - r0) % 2) y[r1 - 1] = row_neon(f, data, x, cols, r1 - 1, sdot);
}

// The dot-product flag a constant in each instance.
NEON static void rows_neon_any(format f, const uint8_t *data, const ck_q8_vector *x, float *y, size_t cols, size_t r0, size_t r1) {
    if (f == Q8) { if (ck_byte_dots()) rows_neon(Q8, data, x, y, cols, r0, r1, 1); else rows_neon(Q8, data, x, y, cols, r0, r1, 0); }
    else if (f == Q6) { if (ck_byte_dots()) rows_neon(Q6, data, x, y, cols, r0, r1, 1); else rows_neon(Q6, data, x, y, cols, r0, r1, 0); }
    else if (ck_byte_dots()) rows_neon(Q4, data, x, y, cols, r0, r1, 1); else rows_neon(Q4, data, x, y, cols, r0, r1, 0);
}

#endif  // CK_NEON

#if CK_X86

// ---- AVX2: a group is two halves of 8 blocks; each 32-byte vector carries 4 elements of 8 blocks.

#define AVX2 __attribute__((target("avx2,fma,f16c")))

AVX2 static inline __m256i dot_avx2(__m256i u, __m256i s) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

AVX2 static inline __m256 half_scales(const uint16_t *ws, const float *xs) {
    return _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)ws)), _mm256_loadu_ps(xs));
}

// One group's block dots in two registers, blocks 0-7 and 8-15, the weights' offset taken off.
typedef struct { __m256i lo, hi; } dots_avx2;

// q8 without VNNI: maddubs multiplies unsigned by signed bytes, and u = q + 128 would overflow its
// 16-bit pair sums, so q's sign moves onto x (|q| times +-x).
AVX2 INLINE dots_avx2 q8_group_avx2(const int8_t *wq, const int8_t *xq) {
    dots_avx2 d = {_mm256_setzero_si256(), _mm256_setzero_si256()};
    for (int t = 0; t < 8; t++) {  // 64 bytes: the first 32 hold blocks 0-7, the next 32 blocks 8-15
        __m256i q0 = _mm256_loadu_si256((const __m256i *)(wq + 64 * t));
        __m256i q1 = _mm256_loadu_si256((const __m256i *)(wq + 64 * t + 32));
        __m256i v0 = _mm256_loadu_si256((const __m256i *)(xq + 64 * t));
        __m256i v1 = _mm256_loadu_si256((const __m256i *)(xq + 64 * t + 32));
        d.lo = _mm256_add_epi32(d.lo, dot_avx2(_mm256_sign_epi8(q0, q0), _mm256_sign_epi8(v0, q0)));
        d.hi = _mm256_add_epi32(d.hi, dot_avx2(_mm256_sign_epi8(q1, q1), _mm256_sign_epi8(v1, q1)));
    }
    return d;
}

// q4: nibbles n times x, then 8 sum x off per block; q6: the same nibbles with the top bits put on,
// then 32 sum x off. maddubs leaves pair sums in 16 bits, and q4's (at most 2 * 15 * 127 = 3810) add up
// in 16 bits over a half group's 8 products (30480), so one madd per half widens them; q6's (u <= 63)
// take the low and high products of one step together (32004). Fewer multiplies than a madd per
// product: on a Zen 3 core (AVX2), with the matrix in L2, q4 ran 30.3 -> 34.1 GB/s, headroom over the
// 20 GB/s one core reads from memory.
AVX2 INLINE dots_avx2 nibbles_group_avx2(format f, const uint8_t *wq, const int8_t *xq, const int32_t *sums) {
    const __m256i ones = _mm256_set1_epi16(1);
    dots_avx2 d = {_mm256_setzero_si256(), _mm256_setzero_si256()};
    __m256i half[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};  // q4: 16-bit sums of blocks 0-7, 8-15
    for (int p = 0; p < 8; p++) {  // 32 packed bytes: positions 32p.. (low), 256 + 32p.. (high)
        __m256i n0, n1;
        ck_nibbles_256(wq, p, f == Q6, &n0, &n1);
        __m256i pairs = _mm256_add_epi16(_mm256_maddubs_epi16(n0, _mm256_loadu_si256((const __m256i *)(xq + 32 * p))),
                                         _mm256_maddubs_epi16(n1, _mm256_loadu_si256((const __m256i *)(xq + 256 + 32 * p))));
        // Even 32-byte halves of a 64-byte vector hold blocks 0-7, odd halves blocks 8-15.
        if (f == Q4) {
            half[p % 2] = _mm256_add_epi16(half[p % 2], pairs);
        } else if (p % 2 == 0) {
            d.lo = _mm256_add_epi32(d.lo, _mm256_madd_epi16(pairs, ones));
        } else {
            d.hi = _mm256_add_epi32(d.hi, _mm256_madd_epi16(pairs, ones));
        }
    }
    if (f == Q4) {
        d.lo = _mm256_madd_epi16(half[0], ones);
        d.hi = _mm256_madd_epi16(half[1], ones);
    }
    const int shift = f == Q6 ? 5 : 3;
    d.lo = _mm256_sub_epi32(d.lo, _mm256_slli_epi32(_mm256_loadu_si256((const __m256i *)sums), shift));
    d.hi = _mm256_sub_epi32(d.hi, _mm256_slli_epi32(_mm256_loadu_si256((const __m256i *)(sums + 8)), shift));
    return d;
}

AVX2 INLINE __m256 weigh_avx2(dots_avx2 d, const uint16_t *ws, const float *xs, __m256 acc) {
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(d.lo), half_scales(ws, xs), acc);
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(d.hi), half_scales(ws + 8, xs + 8), acc);
}

AVX2 INLINE dots_avx2 group_avx2(format f, const uint8_t *wq, const int8_t *xq, const int32_t *sums) {
    return f == Q8 ? q8_group_avx2((const int8_t *)wq, xq) : nibbles_group_avx2(f, wq, xq, sums);
}

AVX2 INLINE float row_avx2(format f, const uint8_t *data, const ck_q8_vector *x, size_t cols, size_t r) {
    size_t bytes = group_bytes(f);
    __m256 acc = _mm256_setzero_ps();
    for (size_t g = 0; g < cols / CK_GROUP; g++) {
        dots_avx2 d = group_avx2(f, data + ck_pair_quants_at(bytes, cols, r, g), x->quants + g * CK_GROUP, x->sums + g * 16);
        acc = weigh_avx2(d, (const uint16_t *)(data + ck_pair_scales_at(bytes, cols, r, g)), x->scales + g * 16, acc);
    }
    return ck_sum8(acc);
}

// Pairs of rows as with VNNI below: the input loads serve both rows.
AVX2 INLINE void rows_avx2(format f, const uint8_t *data, const ck_q8_vector *x, float *y, size_t cols, size_t r0, size_t r1) {
    size_t bytes = group_bytes(f);
    if (r0 < r1 && r0 % 2) { y[r0] = row_avx2(f, data, x, cols, r0); r0++; }
    for (size_t r = r0; r + 2 <= r1; r += 2) {
        __m256 acc_a = _mm256_setzero_ps(), acc_b = acc_a;
        for (size_t g = 0; g < cols / CK_GROUP; g++) {
            const uint8_t *block = data + ck_pair_quants_at(bytes, cols, r, g);
            const int8_t *xq = x->quants + g * CK_GROUP;
            const uint16_t *scales = (const uint16_t *)(block + 2 * bytes);
            ck_fetch_ahead(block, ck_pair_block_bytes(bytes));
            acc_a = weigh_avx2(group_avx2(f, block, xq, x->sums + g * 16), scales, x->scales + g * 16, acc_a);
            acc_b = weigh_avx2(group_avx2(f, block + bytes, xq, x->sums + g * 16), scales + 16, x->scales + g * 16, acc_b);
        }
        y[r] = ck_sum8(acc_a);
        y[r + 1] = ck_sum8(acc_b);
    }
    if (r0 < r1 && (r1 - r0) % 2) y[r1 - 1] = row_avx2(f, data, x, cols, r1 - 1);
}

AVX2 static void q8_avx2(ck_q8_matrix w, const ck_q8_vector *x, float *y, size_t cols, size_t r0, size_t r1) {
    rows_avx2(Q8, (const uint8_t *)w.data, x, y, cols, r0, r1);
}

AVX2 static void q6_avx2(ck_q6_matrix w, const ck_q8_vector *x, float *y, size_t cols, size_t r0, size_t r1) {
    rows_avx2(Q6, w.data, x, y, cols, r0, r1);
}

AVX2 static void q4_avx2(ck_q4_matrix w, const ck_q8_vector *x, float *y, size_t cols, size_t r0, size_t r1) {
    rows_avx2(Q4, w.data, x, y, cols, r0, r1);
}

// ---- AVX-512: a 64-byte vector carries 4 elements of all 16 blocks of a group.

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma,f16c")))
#define AVX512VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")))

AVX512 static inline __m512 group_scales(const uint16_t *ws, const float *xs) {
    return _mm512_mul_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)ws)), _mm512_loadu_ps(xs));
}

// A group's 16 block dots, the weights' offset taken off: one function per format and instruction set.
typedef __m512i (*group_dot_fn)(const uint8_t *wq, const int8_t *xq, __m512i sums);

// Without VNNI, maddubs multiplies unsigned by signed bytes in 16-bit pair sums: q8 moves q's sign
// onto x (|q| times +-x), q4's nibbles stay far from saturating.
AVX512 static inline __m512i q8_dot_bw(const uint8_t *wq, const int8_t *xq, __m512i sums) {
    (void)sums;
    const __m512i ones = _mm512_set1_epi16(1);
    __m512i d = _mm512_setzero_si512();
    for (int t = 0; t < 8; t++) {
        __m512i q = _mm512_loadu_si512(wq + 64 * t), v = _mm512_loadu_si512(xq + 64 * t);
        __m512i sv = _mm512_mask_sub_epi8(v, _mm512_movepi8_mask(q), _mm512_setzero_si512(), v);
        d = _mm512_add_epi32(d, _mm512_madd_epi16(_mm512_maddubs_epi16(_mm512_abs_epi8(q), sv), ones));
    }
    return d;
}

AVX512 static inline __m512i accumulate_bw(__m512i acc, __m512i u, __m512i s) {
    return _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_maddubs_epi16(u, s), _mm512_set1_epi16(1)));
}

AVX512 static inline __m512i q4_dot_bw(const uint8_t *wq, const int8_t *xq, __m512i sums) {
    const __m512i mask = _mm512_set1_epi8(0x0F);
    __m512i d0 = _mm512_setzero_si512(), d1 = d0;
    for (int p = 0; p < 4; p++) {  // low nibbles: positions 64p.., high: 256 + 64p..
        __m512i packed = _mm512_loadu_si512(wq + 64 * p);
        d0 = accumulate_bw(d0, _mm512_and_si512(packed, mask), _mm512_loadu_si512(xq + 64 * p));
        d1 = accumulate_bw(d1, _mm512_and_si512(_mm512_srli_epi16(packed, 4), mask), _mm512_loadu_si512(xq + 256 + 64 * p));
    }
    return _mm512_sub_epi32(_mm512_add_epi32(d0, d1), _mm512_slli_epi32(sums, 3));
}

// q6: its low bits as q4's nibbles with the top bits put on, six-bit unsigned values that both maddubs
// (pair sums at most 2 x 63 x 128) and dpbusd take; `accumulate` is either one (a constant once inlined).
typedef __m512i (*accumulate_fn)(__m512i acc, __m512i u, __m512i s);
AVX512VNNI static inline __m512i accumulate_vnni(__m512i acc, __m512i u, __m512i s) { return _mm512_dpbusd_epi32(acc, u, s); }

AVX512 INLINE __m512i q6_dot(accumulate_fn accumulate, const uint8_t *wq, const int8_t *xq, __m512i sums) {
    const __m512i mask = _mm512_set1_epi8(0x0F);
    __m512i d0 = _mm512_setzero_si512(), d1 = d0;
    for (int p = 0; p < 4; p++) {  // positions 64p.. (low nibbles) and 256 + 64p.. (high)
        __m512i packed = _mm512_loadu_si512(wq + 64 * p), plane = _mm512_loadu_si512(wq + 256 + 64 * (p % 2));
        __m512i low = _mm512_or_si512(_mm512_and_si512(packed, mask), ck_q6_top_bits_512(plane, p / 2));
        __m512i high = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(packed, 4), mask), ck_q6_top_bits_512(plane, 2 + p / 2));
        d0 = accumulate(d0, low, _mm512_loadu_si512(xq + 64 * p));
        d1 = accumulate(d1, high, _mm512_loadu_si512(xq + 256 + 64 * p));
    }
    return _mm512_sub_epi32(_mm512_add_epi32(d0, d1), _mm512_slli_epi32(sums, 5));
}

AVX512 static inline __m512i q6_dot_bw(const uint8_t *wq, const int8_t *xq, __m512i sums) {
    return q6_dot(accumulate_bw, wq, xq, sums);
}

AVX512VNNI static inline __m512i q6_dot_vnni(const uint8_t *wq, const int8_t *xq, __m512i sums) {
    return q6_dot(accumulate_vnni, wq, xq, sums);
}

// With VNNI the high nibbles need no shift: dpbusd sums u8 x s8 products exactly in 32 bits, so
// multiplying by the masked byte (16 x the nibble) and dividing the sum by 16 (exact, an arithmetic
// shift) gives the same integers with a third fewer operations per weight byte. Then per block
// sum (n - 8) x = sum n x - 8 sum x, all in exact integers before the one conversion.
AVX512VNNI static inline __m512i q4_dot_vnni(const uint8_t *wq, const int8_t *xq, __m512i sums) {
    const __m512i low = _mm512_set1_epi8(0x0F), high = _mm512_set1_epi8((char)0xF0);
    __m512i d0 = _mm512_setzero_si512(), d1 = d0;
    for (int p = 0; p < 4; p++) {  // low nibbles: positions 64p.., high: 256 + 64p..
        __m512i packed = _mm512_loadu_si512(wq + 64 * p);
        d0 = _mm512_dpbusd_epi32(d0, _mm512_and_si512(packed, low), _mm512_loadu_si512(xq + 64 * p));
        d1 = _mm512_dpbusd_epi32(d1, _mm512_and_si512(packed, high), _mm512_loadu_si512(xq + 256 + 64 * p));
    }
    return _mm512_sub_epi32(_mm512_add_epi32(d0, _mm512_srai_epi32(d1, 4)), _mm512_slli_epi32(sums, 3));
}

// q8 with VNNI: u = q + 128 (a flip of the sign bit) times x, then 128 sum x off per block in integers.
AVX512VNNI static inline __m512i q8_dot_vnni(const uint8_t *wq, const int8_t *xq, __m512i sums) {
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    __m512i d0 = _mm512_setzero_si512(), d1 = d0;  // two chains hide the dot latency
    for (int t = 0; t < 8; t += 2) {
        d0 = _mm512_dpbusd_epi32(d0, _mm512_xor_si512(_mm512_loadu_si512(wq + 64 * t), flip), _mm512_loadu_si512(xq + 64 * t));
        d1 = _mm512_dpbusd_epi32(d1, _mm512_xor_si512(_mm512_loadu_si512(wq + 64 * t + 64), flip), _mm512_loadu_si512(xq + 64 * t + 64));
    }
    return _mm512_sub_epi32(_mm512_add_epi32(d0, d1), _mm512_slli_epi32(sums, 7));
}

// One row (the odd one at either end of a range).
AVX512 INLINE float row_avx512(format f, group_dot_fn dot, const uint8_t *data, const ck_q8_vector *x, size_t cols, size_t r) {
    size_t bytes = group_bytes(f);
    __m512 acc = _mm512_setzero_ps();
    for (size_t g = 0; g < cols / CK_GROUP; g++) {
        __m512i d = dot(data + ck_pair_quants_at(bytes, cols, r, g), x->quants + g * CK_GROUP, _mm512_loadu_si512(x->sums + g * 16));
        __m512 s = group_scales((const uint16_t *)(data + ck_pair_scales_at(bytes, cols, r, g)), x->scales + g * 16);
        acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), s, acc);
    }
    return _mm512_reduce_add_ps(acc);
}

// Pairs of rows: one pass over a pair's blocks. The two rows' dots read the same input vectors,
// which the compiler loads once for both once `dot` (a constant at every call) is inlined.
AVX512 INLINE void rows_avx512(format f, group_dot_fn dot, const uint8_t *data, const ck_q8_vector *x, float *y, size_t cols,
                               size_t r0, size_t r1) {
    size_t bytes = group_bytes(f);
    if (r0 < r1 && r0 % 2) { y[r0] = row_avx512(f, dot, data, x, cols, r0); r0++; }
    for (size_t r = r0; r + 2 <= r1; r += 2) {
        __m512 acc_a = _mm512_setzero_ps(), acc_b = acc_a;
        for (size_t g = 0; g < cols / CK_GROUP; g++) {
            const uint8_t *block = data + ck_pair_quants_at(bytes, cols, r, g);
            const int8_t *xq = x->quants + g * CK_GROUP;
            ck_fetch_ahead(block, ck_pair_block_bytes(bytes));
            __m512i sums = _mm512_loadu_si512(x->sums + g * 16);
            __m512i da = dot(block, xq, sums), db = dot(block + bytes, xq, sums);
            const uint16_t *scales = (const uint16_t *)(block + 2 * bytes);
            acc_a = _mm512_fmadd_ps(_mm512_cvtepi32_ps(da), group_scales(scales, x->scales + g * 16), acc_a);
            acc_b = _mm512_fmadd_ps(_mm512_cvtepi32_ps(db), group_scales(scales + 16, x->scales + g * 16), acc_b);
        }
        y[r] = _mm512_reduce_add_ps(acc_a);
        y[r + 1] = _mm512_reduce_add_ps(acc_b);
    }
    if (r0 < r1 && (r1 - r0) % 2) y[r1 - 1] = row_avx512(f, dot, data, x, cols, r1 - 1);
}

AVX512 static void q8_avx512(ck_q8_matrix w, const ck_q8_vector *x, float *y, size_t cols, size_t r0, size_t r1) {
    rows_avx512(Q8, q8_dot_bw, (const uint8_t *)w.data, x, y, cols, r0, r1);
}

AVX512 static void q6_avx512(ck_q6_matrix w, const ck_q8_vector *x, float *y, size_t cols, size_t r0, size_t r1) {
    rows_avx512(Q6, q6_dot_bw, w.data, x, y, cols, r0, r1);
}

AVX512 static void q4_avx512(ck_q4_matrix w, const ck_q8_vector *x, float *y, size_t cols, size_t r0, size_t r1) {
    rows_avx512(Q4, q4_dot_bw, w.data, x, y, cols, r0, r1);
}

AVX512VNNI static void q8_vnni(ck_q8_matrix w, const ck_q8_vector *x, float *y, size_t cols, size_t r0, size_t r1) {
    rows_avx512(Q8, q8_dot_vnni, (const uint8_t *)w.data, x, y, cols, r0, r1);
}

AVX512VNNI static void q6_vnni(ck_q6_matrix w, const ck_q8_vector *x, float *y, size_t cols, size_t r0, size_t r1) {
    rows_avx512(Q6, q6_dot_vnni, w.data, x, y, cols, r0, r1);
}

AVX512VNNI static void q4_vnni(ck_q4_matrix w, const ck_q8_vector *x, float *y, size_t cols, size_t r0, size_t r1) {
    rows_avx512(Q4, q4_dot_vnni, w.data, x, y, cols, r0, r1);
}

#endif  // CK_X86

// ---- dispatch

void ck_matvec_q8(ck_q8_matrix w, const ck_q8_vector *x, float *y, size_t cols, size_t r0, size_t r1) {
    switch (ck_isa()) {
#if CK_X86
    case 5:
    case 4: q8_vnni(w, x, y, cols, r0, r1); break;
    case 3: q8_avx512(w, x, y, cols, r0, r1); break;
    case 2: q8_avx2(w, x, y, cols, r0, r1); break;
#elif CK_NEON
    case 1: rows_neon_any(Q8, (const uint8_t *)w.data, x, y, cols, r0, r1); break;
#endif
    default: q8_portable(w, x, y, cols, r0, r1);
    }
}

void ck_matvec_q6(ck_q6_matrix w, const ck_q8_vector *x, float *y, size_t cols, size_t r0, size_t r1) {
    switch (ck_isa()) {
#if CK_X86
    case 5:
    case 4: q6_vnni(w, x, y, cols, r0, r1); break;
    case 3: q6_avx512(w, x, y, cols, r0, r1); break;
    case 2: q6_avx2(w, x, y, cols, r0, r1); break;
#elif CK_NEON
    case 1: rows_neon_any(Q6, w.data, x, y, cols, r0, r1); break;
#endif
    default: q6_portable(w, x, y, cols, r0, r1);
    }
}

void ck_matvec_q4(ck_q4_matrix w, const ck_q8_vector *x, float *y, size_t cols, size_t r0, size_t r1) {
    switch (ck_isa()) {
#if CK_X86
    case 5:
    case 4: q4_vnni(w, x, y, cols, r0, r1); break;
    case 3: q4_avx512(w, x, y, cols, r0, r1); break;
    case 2: q4_avx2(w, x, y, cols, r0, r1); break;
#elif CK_NEON
    case 1: rows_neon_any(Q4, w.data, x, y, cols, r0, r1); break;
#endif
    default: q4_portable(w, x, y, cols, r0, r1);
    }
}
