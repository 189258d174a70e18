// Decode attention's grouped kernels for x86: the query heads that share a kv head (grouped-query
// attention) taken together, so each cached key and value row is read once per kv head. AVX-512 over
// every cache type (with VNNI for int8 keys), and AVX2 over every cache type too. attention.c chooses
// between these and its one-query-head kernels.
#include "arch.h"
#if CK_X86
#include "ckernels.h"
#include "avx2_lanes.h"
#include <math.h>
#include "attention_kernels.h"

#define INLINE __attribute__((always_inline)) static inline
#define AVX2 __attribute__((target("avx2,fma,f16c")))

// ---- AVX-512: the query heads of one kv head together
//
// With grouped-query attention several query heads read the same keys and values. Taking them
// together reads each key and value row once per kv head instead of once per query head: at long
// contexts a kv head's rows no longer fit in L2, and attention then costs three times the memory traffic.

#define AVX512 __attribute__((target("avx512f,avx2,fma")))

INLINE size_t type_bytes(int type) { return type == F32 ? 4 : type == F16 ? 2 : 1; }
#define WIDEN_MAX 256

AVX512 INLINE __m512 load16(const void *p, size_t i, int type) {
    if (type == F16) return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)p + i)));
    if (type == I8) return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)((const int8_t *)p + i))));
    return _mm512_loadu_ps((const float *)p + i);
}

// out[i][0..16·width) = inverse[i] · sum_j scores[i][j] · v[j][c0..c0+16·width) for n <= 3 queries, width <= 8.
AVX512 INLINE void weigh_values(const void *v, size_t c0, size_t d, const float *scores, size_t n_keys,
                                const float *inverse, float *out, size_t n, size_t width, int type) {
    __m512 acc[3][8];
    for (size_t i = 0; i < n; i++)
        for (size_t w = 0; w < width; w++) acc[i][w] = _mm512_setzero_ps();
    for (size_t j = 0; j < n_keys; j++) {
        size_t value = j * d + c0;
        __m512 p[3];
        for (size_t i = 0; i < n; i++) p[i] = _mm512_set1_ps(scores[i * n_keys + j]);
        size_t element = type_bytes(type);
        for (size_t b = 0; b < 16 * width * element; b += 64)
            _mm_prefetch((const char *)v + value * element + b + KV_AHEAD, _MM_HINT_T0);
        // Each value vector converted once for all the queries.
        for (size_t w = 0; w < width; w++) {
            __m512 row = load16(v, value + 16 * w, type);
            for (size_t i = 0; i < n; i++) acc[i][w] = _mm512_fmadd_ps(p[i], row, acc[i][w]);
        }
    }
    for (size_t i = 0; i < n; i++) {
        __m512 inv = _mm512_set1_ps(inverse[i]);
        for (size_t w = 0; w < width; w++) _mm512_storeu_ps(out + i * d + 16 * w, _mm512_mul_ps(acc[i][w], inv));
    }
}

// Lane t of the result is the sum of the 16 lanes of x[t]: a transpose-and-add tree.
AVX512 INLINE __m512 sum_lanes16(const __m512 *x) {
    __m512 c[8], g[4], w[2];
    for (int i = 0; i < 8; i++)  // per 128-bit quarter: [a0+a2, b0+b2, a1+a3, b1+b3]
        c[i] = _mm512_add_ps(_mm512_unpacklo_ps(x[2 * i], x[2 * i + 1]), _mm512_unpackhi_ps(x[2 * i], x[2 * i + 1]));
    for (int i = 0; i < 4; i++)  // per quarter: that quarter's sums of four vectors
        g[i] = _mm512_add_ps(_mm512_shuffle_ps(c[2 * i], c[2 * i + 1], 0x44), _mm512_shuffle_ps(c[2 * i], c[2 * i + 1], 0xEE));
    for (int i = 0; i < 2; i++)  // quarters paired up: halves of eight vectors
        w[i] = _mm512_add_ps(_mm512_shuffle_f32x4(g[2 * i], g[2 * i + 1], 0x88), _mm512_shuffle_f32x4(g[2 * i], g[2 * i + 1], 0xDD));
    return _mm512_add_ps(_mm512_shuffle_f32x4(w[0], w[1], 0x88), _mm512_shuffle_f32x4(w[0], w[1], 0xDD));
}

#define VNNI_MAX 256
#define VNNI __attribute__((target("avx512f,avx512bw,avx512vnni,avx2,fma")))

// The group's int8 queries (integer-valued floats) as bytes offset by 128, for vpdpbusd's unsigned side.
INLINE void offset_queries(const float *q, size_t group, size_t d, uint8_t *bytes) {
    for (size_t e = 0; e < group * d; e++) bytes[e] = (uint8_t)((int)q[e] + 128);
}

// Scores of 16 int8 keys (rows of d bytes, d a multiple of 64) for every query of the group:
// sum_c (q_c + 128) k_c - 128 sum_c k_c, exact in int32 and in float (|x| < 2^24), times the key's
// scale (with the attention's) and the query's, as the float paths compute it.
// A call, not inlined: the kernel around it is compiled for AVX-512 without VNNI.
VNNI static void int8_scores16(const int8_t *keys, const uint8_t *queries, size_t group, size_t d, __m512 key_scale,
                               const float *qs, float *scores, size_t n_keys, float *top) {
    const __m512i ones = _mm512_set1_epi8(1);
    __m512 sums[16];
    for (int t = 0; t < 16; t++) {
        __m512i acc = _mm512_setzero_si512();
        for (size_t c = 0; c < d; c += 64) {
            _mm_prefetch((const char *)(keys + t * d + c) + KV_AHEAD, _MM_HINT_T0);
            acc = _mm512_dpbusd_epi32(acc, ones, _mm512_loadu_si512(keys + t * d + c));
        }
        sums[t] = _mm512_cvtepi32_ps(acc);
    }
    __m512 offset = _mm512_mul_ps(sum_lanes16(sums), _mm512_set1_ps(128.0f));
    for (size_t i = 0; i < group; i++) {
        const uint8_t *qi = queries + i * d;
        __m512 dots[16];
        for (int t = 0; t < 16; t++) {
            __m512i acc = _mm512_setzero_si512();
            for (size_t c = 0; c < d; c += 64)
                acc = _mm512_dpbusd_epi32(acc, _mm512_loadu_si512(qi + c), _mm512_loadu_si512(keys + t * d + c));
            dots[t] = _mm512_cvtepi32_ps(acc);
        }
        __m512 s = _mm512_mul_ps(_mm512_sub_ps(sum_lanes16(dots), offset), key_scale);
        s = _mm512_mul_ps(s, _mm512_set1_ps(qs[i]));
        _mm512_storeu_ps(scores + i * n_keys, s);
        float m = _mm512_reduce_max_ps(s);
        if (m > top[i]) top[i] = m;
    }
}

// q: [group][d], d a multiple of 16 up to 128 per slab; scores: [group][n_keys] scratch; out: [group][d].
AVX512 INLINE void attend_group_avx512(const float *q, const float *qs, const void *k, const void *v, const float *ks,
                                       const float *vs, float *out, float *scores, size_t group, size_t d, size_t n_keys,
                                       float scale, int type, int vnni) {
    float top[GROUP_MAX], inverse[GROUP_MAX];
    for (size_t i = 0; i < group; i++) top[i] = -INFINITY;
    // Scores: each key row is loaded once and met by every query of the group; 16 keys at a time, so
    // one reduction tree gives 16 dot products.
    size_t j = 0;
    // Half and int8 keys are widened once per block of 16 into this (L1) buffer, not once per query:
    // the conversions cost as much as the multiplies and left a core short of the memory's pace.
    float widened[16 * WIDEN_MAX];
    int widen = type != F32 && d <= WIDEN_MAX;
    // With VNNI, int8 keys meet the int8 queries as bytes (see int8_scores16).
    uint8_t query_bytes[GROUP_MAX * VNNI_MAX];
    vnni = vnni && type == I8 && d % 64 == 0 && d <= VNNI_MAX;
    if (vnni) offset_queries(q, group, d, query_bytes);
    for (; j + 16 <= n_keys; j += 16) {
        size_t block = j * d;
        __m512 key_scale = _mm512_set1_ps(scale);
        if (ks) key_scale = _mm512_mul_ps(key_scale, _mm512_loadu_ps(ks + j));
        if (vnni) {
            int8_scores16((const int8_t *)k + block, query_bytes, group, d, key_scale, qs, scores + j, n_keys, top);
            continue;
        }
        if (widen) {
            size_t element = type_bytes(type);
            for (size_t b = 0; b < 16 * d * element; b += 64)
                _mm_prefetch((const char *)k + block * element + b + KV_AHEAD, _MM_HINT_T0);
            for (size_t c = 0; c < 16 * d; c += 16) _mm512_storeu_ps(widened + c, load16(k, block + c, type));
        }
        for (size_t i = 0; i < group; i++) {
            const float *qi = q + i * d;
            __m512 acc[16];
            for (int t = 0; t < 16; t++) acc[t] = _mm512_setzero_ps();
            for (size_t c = 0; c < d; c += 16) {
                __m512 qc = _mm512_loadu_ps(qi + c);
                for (int t = 0; t < 16; t++) {
                    __m512 key = widen ? _mm512_loadu_ps(widened + t * d + c) : load16(k, block + t * d + c, type);
                    acc[t] = _mm512_fmadd_ps(qc, key, acc[t]);
                }
            }
            __m512 s = _mm512_mul_ps(sum_lanes16(acc), key_scale);
            if (qs) s = _mm512_mul_ps(s, _mm512_set1_ps(qs[i]));
            _mm512_storeu_ps(scores + i * n_keys + j, s);
            float m = _mm512_reduce_max_ps(s);
            if (m > top[i]) top[i] = m;
        }
    }
    for (; j < n_keys; j++) {
        size_t key = j * d;
        for (size_t i = 0; i < group; i++) {
            const float *qi = q + i * d;
            __m512 a0 = _mm512_setzero_ps(), a1 = a0;
            size_t c = 0;
            for (; c + 32 <= d; c += 32) {
                a0 = _mm512_fmadd_ps(_mm512_loadu_ps(qi + c), load16(k, key + c, type), a0);
                a1 = _mm512_fmadd_ps(_mm512_loadu_ps(qi + c + 16), load16(k, key + c + 16, type), a1);
            }
            if (c < d) a0 = _mm512_fmadd_ps(_mm512_loadu_ps(qi + c), load16(k, key + c, type), a0);
            float s = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1)) * (ks ? scale * ks[j] : scale) * (qs ? qs[i] : 1.0f);
            scores[i * n_keys + j] = s;
            if (s > top[i]) top[i] = s;
        }
    }
    for (size_t i = 0; i < group; i++) inverse[i] = 1 / ck_softmax_from_top_avx2(scores + i * n_keys, n_keys, top[i]);
    scale_weights(scores, group, n_keys, vs);
    // Values: a slab of up to 128 columns for up to 3 queries in registers (24 accumulators).
    for (size_t c0 = 0; c0 < d; c0 += 128) {
        size_t width = (d - c0 < 128 ? d - c0 : 128) / 16;
        for (size_t i0 = 0; i0 < group; i0 += 3) {
            size_t n = group - i0 < 3 ? group - i0 : 3;
            // Constant bounds for the published shape (head 128, 3 queries per kv head) keep the
            // accumulators in registers.
            if (width == 8 && n == 3)
                weigh_values(v, c0, d, scores + i0 * n_keys, n_keys, inverse + i0, out + i0 * d + c0, 3, 8, type);
            else
                weigh_values(v, c0, d, scores + i0 * n_keys, n_keys, inverse + i0, out + i0 * d + c0, n, width, type);
        }
    }
}

// ---- AVX2 over an int8 cache: the query heads of one kv head together, as with AVX-512
//
// Scores are integer dot products: maddubs multiplies |q| by k carrying q's sign (pair sums at most
// 2 * 127 * 127, within 16 bits), madd widens them; 8 keys at a time, one reduction tree for 8 dots.
// Each value row is widened once for up to 3 queries. Against one query head at a time in floats this
// reads and converts a kv head's rows once instead of once per query head.

// Lane t: the sum of the 8 lanes of x[t], as a float (exact: |sum| < 2^24 here).
AVX2 static inline __m256 sum_lanes8(const __m256i *x) {
    __m256i ab = _mm256_hadd_epi32(_mm256_hadd_epi32(x[0], x[1]), _mm256_hadd_epi32(x[2], x[3]));
    __m256i cd = _mm256_hadd_epi32(_mm256_hadd_epi32(x[4], x[5]), _mm256_hadd_epi32(x[6], x[7]));
    // Each 128-bit half of ab holds x0..x3's sums over that half of their lanes; cd the same for x4..x7.
    __m256i lo = _mm256_permute2x128_si256(ab, cd, 0x20), hi = _mm256_permute2x128_si256(ab, cd, 0x31);
    return _mm256_cvtepi32_ps(_mm256_add_epi32(lo, hi));
}

// out[i][0..16) (+)= sum_{j in [j0, j1)} scores[i][j] * v[j][c0..c0+16) for n <= 3 queries (values of `type`):
// written for the first block of keys, added after. 16 columns rather than 32: 3 queries by 4 vectors
// of sums, their 3 weights and a value vector took all 16 registers, and one sum went to the stack and
// back at every key.
AVX2 INLINE void weigh_values_avx2(const void *v, int type, size_t c0, size_t d, const float *scores, size_t n_keys,
                                   size_t j0, size_t j1, float *out, size_t n) {
    __m256 acc[3][2];
    for (size_t i = 0; i < n; i++)
        for (int w = 0; w < 2; w++)
            acc[i][w] = j0 == 0 ? _mm256_setzero_ps() : _mm256_loadu_ps(out + i * d + 8 * w);
    for (size_t j = j0; j < j1; j++) {
        __m256 p[3];
        for (size_t i = 0; i < n; i++) p[i] = _mm256_set1_ps(scores[i * n_keys + j]);
        for (int w = 0; w < 2; w++) {
            __m256 value = ck_load8_avx2(v, j * d + c0 + 8 * w, type);
            for (size_t i = 0; i < n; i++) acc[i][w] = _mm256_fmadd_ps(p[i], value, acc[i][w]);
        }
    }
    for (size_t i = 0; i < n; i++)
        for (int w = 0; w < 2; w++) _mm256_storeu_ps(out + i * d + 8 * w, acc[i][w]);
}

// Bytes of value rows every column pass reads while they sit in L1 (128 int8 rows of 128).
#define VALUE_BLOCK_BYTES 16384

// The softmax of every query's scores (top: each query's largest), then out[i] = sum_j p[i][j] v[j]
// for the group: a block of keys at a time (their rows stay in L1 across the column passes), over
// which 16 columns for up to 3 queries stay in registers (6 sums); 3 queries (the published shape) with
// constant bounds, so that they stay in registers. 28 layers of int8 over 3000 keys on one thread of a
// Zen 3 VM: 23 ms with 32 columns over all keys at a time, 21.5 with 16, 19.5 with blocks of keys. (Over
// Float32 and halves, grouping took 83 -> 61 and 44 -> 33 ms against a query head at a time.)
AVX2 INLINE void weigh_group_avx2(const void *v, int type, const float *vs, float *out, float *scores, size_t group,
                                  size_t d, size_t n_keys, const float *top) {
    float inverse[GROUP_MAX];
    for (size_t i = 0; i < group; i++) inverse[i] = 1 / ck_softmax_from_top_avx2(scores + i * n_keys, n_keys, top[i]);
    scale_weights(scores, group, n_keys, vs);
    size_t row_bytes = d * (type == I8 ? 1 : type == F16 ? 2 : 4);
    size_t keys = row_bytes < VALUE_BLOCK_BYTES ? VALUE_BLOCK_BYTES / row_bytes : 1;
    for (size_t j0 = 0; j0 < n_keys; j0 += keys) {
        size_t j1 = n_keys - j0 < keys ? n_keys : j0 + keys;
        for (size_t c0 = 0; c0 < d; c0 += 16)
            for (size_t i0 = 0; i0 < group; i0 += 3) {
                if (group - i0 >= 3) weigh_values_avx2(v, type, c0, d, scores + i0 * n_keys, n_keys, j0, j1, out + i0 * d + c0, 3);
                else weigh_values_avx2(v, type, c0, d, scores + i0 * n_keys, n_keys, j0, j1, out + i0 * d + c0, group - i0);
            }
    }
    for (size_t i = 0; i < group; i++) {
        __m256 inv = _mm256_set1_ps(inverse[i]);
        for (size_t c = 0; c < d; c += 8) _mm256_storeu_ps(out + i * d + c, _mm256_mul_ps(_mm256_loadu_ps(out + i * d + c), inv));
    }
}

// q: [group][d] integer-valued floats (scales qs), d a multiple of 32 up to 256; scores: [group][n_keys].
AVX2 void ck_attend_group_avx2_i8(const float *q, const float *qs, const int8_t *k, const int8_t *v, const float *ks,
                                      const float *vs, float *out, float *scores, size_t group, size_t d, size_t n_keys,
                                      float scale) {
    int8_t signs[GROUP_MAX * AVX2_GROUP_D];
    uint8_t magnitudes[GROUP_MAX * AVX2_GROUP_D];
    for (size_t e = 0; e < group * d; e++) {
        int value = (int)q[e];
        signs[e] = (int8_t)value;
        magnitudes[e] = (uint8_t)(value < 0 ? -value : value);
    }
    float top[GROUP_MAX];
    for (size_t i = 0; i < group; i++) top[i] = -INFINITY;
    const __m256i ones = _mm256_set1_epi16(1);
    size_t j = 0;
    for (; j + 8 <= n_keys; j += 8) {
        const int8_t *block = k + j * d;
        for (size_t b = 0; b < 8 * d; b += 64) _mm_prefetch((const char *)block + b + KV_AHEAD, _MM_HINT_T0);
        __m256 key_scale = _mm256_mul_ps(_mm256_set1_ps(scale), _mm256_loadu_ps(ks + j));
        for (size_t i = 0; i < group; i++) {
            __m256i dots[8];
            for (int t = 0; t < 8; t++) dots[t] = _mm256_setzero_si256();
            for (size_t c = 0; c < d; c += 32) {  // the query's bytes loaded once for the 8 keys
                __m256i sign = _mm256_loadu_si256((const __m256i *)(signs + i * d + c));
                __m256i magnitude = _mm256_loadu_si256((const __m256i *)(magnitudes + i * d + c));
                for (int t = 0; t < 8; t++) {
                    __m256i key = _mm256_loadu_si256((const __m256i *)(block + t * d + c));
                    dots[t] = _mm256_add_epi32(dots[t], _mm256_madd_epi16(_mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(key, sign)), ones));
                }
            }
            __m256 s = _mm256_mul_ps(_mm256_mul_ps(sum_lanes8(dots), key_scale), _mm256_set1_ps(qs[i]));
            _mm256_storeu_ps(scores + i * n_keys + j, s);
            float m = ck_max8(s);
            if (m > top[i]) top[i] = m;
        }
    }
    for (; j < n_keys; j++) {
        for (size_t i = 0; i < group; i++) {
            int dot = 0;
            for (size_t c = 0; c < d; c++) dot += signs[i * d + c] * k[j * d + c];
            float s = (float)dot * (scale * ks[j]) * qs[i];
            scores[i * n_keys + j] = s;
            if (s > top[i]) top[i] = s;
        }
    }
    weigh_group_avx2(v, I8, vs, out, scores, group, d, n_keys, top);
}

// Lane t: the sum of the 8 lanes of x[t].
AVX2 static inline __m256 sum_lanes8_ps(const __m256 *x) {
    __m256 ab = _mm256_hadd_ps(_mm256_hadd_ps(x[0], x[1]), _mm256_hadd_ps(x[2], x[3]));
    __m256 cd = _mm256_hadd_ps(_mm256_hadd_ps(x[4], x[5]), _mm256_hadd_ps(x[6], x[7]));
    return _mm256_add_ps(_mm256_permute2f128_ps(ab, cd, 0x20), _mm256_permute2f128_ps(ab, cd, 0x31));
}

// ---- AVX2 over a Float32 or half cache, the query heads of one kv head together as over int8: each
// key and value row is read once per kv head instead of once per query head. Scores take 8 keys at a
// time (half keys widened once into an L1 buffer, not once per query), one reduction tree for 8 dots.
// q: [group][d], d a multiple of 16 up to AVX2_GROUP_D.
AVX2 INLINE void attend_group_avx2_float(const float *q, const void *k, const void *v, float *out, float *scores,
                                         size_t group, size_t d, size_t n_keys, float scale, int type) {
    float top[GROUP_MAX];
    for (size_t i = 0; i < group; i++) top[i] = -INFINITY;
    float widened[8 * AVX2_GROUP_D];
    size_t element = type == F16 ? 2 : 4;
    size_t j = 0;
    for (; j + 8 <= n_keys; j += 8) {
        for (size_t b = 0; b < 8 * d * element; b += 64)
            _mm_prefetch((const char *)k + j * d * element + b + KV_AHEAD, _MM_HINT_T0);
        const float *block = (const float *)k + j * d;
        if (type == F16) {
            for (size_t c = 0; c < 8 * d; c += 8) _mm256_storeu_ps(widened + c, ck_load8_avx2(k, j * d + c, F16));
            block = widened;
        }
        for (size_t i = 0; i < group; i++) {
            __m256 acc[8];
            for (int t = 0; t < 8; t++) acc[t] = _mm256_setzero_ps();
            for (size_t c = 0; c < d; c += 8) {
                __m256 qc = _mm256_loadu_ps(q + i * d + c);
                for (int t = 0; t < 8; t++) acc[t] = _mm256_fmadd_ps(qc, _mm256_loadu_ps(block + t * d + c), acc[t]);
            }
            __m256 s = _mm256_mul_ps(sum_lanes8_ps(acc), _mm256_set1_ps(scale));
            _mm256_storeu_ps(scores + i * n_keys + j, s);
            float m = ck_max8(s);
            if (m > top[i]) top[i] = m;
        }
    }
    for (; j < n_keys; j++) {
        for (size_t i = 0; i < group; i++) {
            __m256 acc = _mm256_setzero_ps();
            for (size_t c = 0; c < d; c += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + i * d + c), ck_load8_avx2(k, j * d + c, type), acc);
            float s = ck_sum8(acc) * scale;
            scores[i * n_keys + j] = s;
            if (s > top[i]) top[i] = s;
        }
    }
    weigh_group_avx2(v, type, NULL, out, scores, group, d, n_keys, top);
}

AVX2 void ck_attend_group_avx2_f32(const float *q, const float *k, const float *v, float *out, float *scores,
                                   size_t group, size_t d, size_t n_keys, float scale) {
    attend_group_avx2_float(q, k, v, out, scores, group, d, n_keys, scale, F32);
}

AVX2 void ck_attend_group_avx2_f16(const float *q, const uint16_t *k, const uint16_t *v, float *out, float *scores,
                                   size_t group, size_t d, size_t n_keys, float scale) {
    attend_group_avx2_float(q, k, v, out, scores, group, d, n_keys, scale, F16);
}
// One AVX-512 instance per element type, so the loads inside are plain loads or conversions.
#define AVX512_INSTANCE(suffix, type)                                                                           \
    AVX512 void ck_attend_group_avx512_##suffix(const float *q, const float *qs, const void *k, const void *v,  \
                                                const float *ks, const float *vs, float *out, float *scores,    \
                                                size_t group, size_t d, size_t n_keys, float scale, int vnni) { \
        attend_group_avx512(q, qs, k, v, ks, vs, out, scores, group, d, n_keys, scale, type, vnni);             \
    }
AVX512_INSTANCE(f32, F32)
AVX512_INSTANCE(f16, F16)
AVX512_INSTANCE(i8, I8)

#endif  // CK_X86
