// The q6 format's top-bit plane, for the kernels that read it 512 or 256 bits at a time (matvec_quant.c
// and matmul_quant.c): one definition of where a position's two top bits sit, and of a q4 or q6 row's
// unsigned values 256 bits at a time.
#pragma once
#include "arch.h"
#if CK_X86
#include <stdint.h>

// The top two bits of q6 positions, in place (bits 4-5 of each byte) under the low four: field k of a
// byte of the top-bit plane holds them for positions 128k.. (shifts cross bytes; the mask keeps each
// byte's own bits).
__attribute__((target("avx512f,avx512bw"), always_inline)) static inline __m512i ck_q6_top_bits_512(__m512i plane, int k) {
    const __m512i mask = _mm512_set1_epi8(0x30);
    switch (k) {
    case 0: return _mm512_and_si512(_mm512_slli_epi16(plane, 4), mask);
    case 1: return _mm512_and_si512(_mm512_slli_epi16(plane, 2), mask);
    case 2: return _mm512_and_si512(plane, mask);
    default: return _mm512_and_si512(_mm512_srli_epi16(plane, 2), mask);
    }
}

// The same 256 bits at a time (the AVX2 kernels).
__attribute__((target("avx2"), always_inline)) static inline __m256i ck_q6_top_bits_256(__m256i plane, int k) {
    const __m256i mask = _mm256_set1_epi8(0x30);
    switch (k) {
    case 0: return _mm256_and_si256(_mm256_slli_epi16(plane, 4), mask);
    case 1: return _mm256_and_si256(_mm256_slli_epi16(plane, 2), mask);
    case 2: return _mm256_and_si256(plane, mask);
    default: return _mm256_and_si256(_mm256_srli_epi16(plane, 2), mask);
    }
}

// A q4 or q6 (`q6`, a constant once inlined) row group's packed bytes 32p.. as unsigned values: `lo` for
// positions 32p.. (low nibbles), `hi` for 256 + 32p.. (high nibbles), q6's top bits put on.
__attribute__((target("avx2"), always_inline)) static inline void ck_nibbles_256(const uint8_t *w, int p, int q6, __m256i *lo,
                                                                                __m256i *hi) {
    const __m256i mask = _mm256_set1_epi8(0x0F);
    __m256i packed = _mm256_loadu_si256((const __m256i *)(w + 32 * p));
    *lo = _mm256_and_si256(packed, mask);
    *hi = _mm256_and_si256(_mm256_srli_epi16(packed, 4), mask);
    if (q6) {
        __m256i plane = _mm256_loadu_si256((const __m256i *)(w + 256 + 32 * (p % 4)));
        *lo = _mm256_or_si256(*lo, ck_q6_top_bits_256(plane, p / 4));
        *hi = _mm256_or_si256(*hi, ck_q6_top_bits_256(plane, 2 + p / 4));
    }
}

#endif  // CK_X86
