// Precision conversions and the instruction-set choice.
#include "ckernels.h"
#include "arch.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

static int isa_level = -1, byte_dots = -1;
// A level forced on one thread (tests comparing variants), so other threads keep the machine's best.
static _Thread_local int forced_level = -1, forced_byte_dots = -1;

static int machine_isa(void) {
#if CK_NEON
    return 1;  // every aarch64 core has NEON
#elif CK_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) {
        if (!__builtin_cpu_supports("avx512vnni")) return 3;
        return ck_machine_tiles() ? 5 : 4;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) return 2;
    return 0;
#else
    return 0;
#endif
}

// The byte dot products a level may add. AVX-VNNI (the 256-bit integer dot products of Intel's cores
// without AVX-512, and of AMD's Zen 5): CPUID leaf 7, sub-leaf 1 (where sub-leaf 0 says it exists),
// EAX bit 4. On aarch64 the dot-product instructions (sdot, udot: Armv8.2's FEAT_DotProd, in every core
// from Cortex-A76 and Neoverse N1 on), as the kernel reports them.
static int machine_byte_dots(void) {
#if CK_X86
    if (machine_isa() < 2) return 0;  // AVX2 is itself reported in leaf 7
    unsigned a = 7, b, c = 0, d;
    __asm__("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    if (a < 1) return 0;
    a = 7, c = 1;
    __asm__("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    return (a >> 4) & 1;
#elif CK_NEON && defined(__linux__)
    return (getauxval(AT_HWCAP) & (1UL << 20)) != 0;  // HWCAP_ASIMDDP
#else
    return 0;
#endif
}

// $HIGGS_KERNELS caps the instruction set for the whole process (x86: portable, avx2, avx2-vnni, avx512,
// avx512-vnni, amx; aarch64: portable, neon, neon-dotprod): to time or check what a machine with fewer
// instructions runs, here. An unknown name is said once and ignored. `dots` is whether the level with
// the byte dot-product extension (AVX2, NEON) may use it.
#if CK_NEON
static const char *const names[] = {"portable", "neon"}, *const dots_name = "neon-dotprod";
static const int dots_level = 1;
#else
static const char *const names[] = {"portable", "", "avx2", "avx512", "avx512-vnni", "amx"}, *const dots_name = "avx2-vnni";
static const int dots_level = 2;
#endif
static const int top_level = sizeof names / sizeof names[0] - 1;

static int detect_isa(int *dots) {
    int best = machine_isa();
    *dots = machine_byte_dots();
    const char *wanted = getenv("HIGGS_KERNELS");
    if (!wanted || !*wanted) return best;
    if (strcmp(wanted, dots_name) == 0) return dots_level < best ? dots_level : best;
    for (int level = 0; level <= top_level; level++) {
        if (!*names[level] || strcmp(wanted, names[level]) != 0) continue;
        if (level == dots_level) *dots = 0;
        return level < best ? level : best;
    }
    static int said = 0;
    if (!said) {
        said = 1;
        char known[96] = "";
        for (int level = 0; level <= top_level; level++) {
            if (!*names[level]) continue;
            strcat(known, level ? ", " : "");
            strcat(known, names[level]);
            if (level == dots_level) strcat(strcat(known, ", "), dots_name);
        }
        fprintf(stderr, "HIGGS_KERNELS='%s' is not one of %s; using %s\n", wanted, known,
                best == dots_level && *dots ? dots_name : names[best]);
    }
    return best;
}

// The machine's choice, made by whichever thread asks first: the level is published after the byte
// dot-product flag, so a thread that sees the one sees the other.
static int machine_choice(void) {
    int level = __atomic_load_n(&isa_level, __ATOMIC_ACQUIRE);
    if (level >= 0) return level;
    int dots;
    level = detect_isa(&dots);
    __atomic_store_n(&byte_dots, dots, __ATOMIC_RELAXED);
    __atomic_store_n(&isa_level, level, __ATOMIC_RELEASE);
    return level;
}

int ck_isa(void) {
    if (forced_level >= 0) return forced_level;
    return machine_choice();
}

int ck_byte_dots(void) {
    if (forced_byte_dots >= 0) return forced_byte_dots;
    return machine_choice() == dots_level && __atomic_load_n(&byte_dots, __ATOMIC_RELAXED) > 0;
}

int ck_machine_isa(void) { return machine_isa(); }

int ck_set_isa(int level) {
    int dots, best = detect_isa(&dots);
    forced_level = level < 0 ? 0 : level < best ? level : best;
    if (!*names[forced_level]) forced_level = 0;  // x86 has no level 1
    forced_byte_dots = -1;
    return forced_level;
}

int ck_set_byte_dots(int enabled) {
    int dots;
    detect_isa(&dots);
    forced_byte_dots = enabled && dots && ck_isa() == dots_level;
    return forced_byte_dots;
}

const char *ck_isa_name(void) {
#if CK_NEON
    if (ck_isa() == 1) return ck_byte_dots() ? "NEON + dot product" : "NEON";
    return "portable";
#else
    switch (ck_isa()) {
    case 5: return "AVX-512 VNNI, AMX tiles for batched products and codec convolutions";
    case 4: return "AVX-512 VNNI";
    case 3: return "AVX-512";
    case 2: return ck_byte_dots() ? "AVX2 + AVX-VNNI" : "AVX2";
    default: return "portable";
    }
#endif
}

float ck_f16_value(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1F;
    uint32_t mantissa = h & 0x3FF;
    uint32_t bits;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;
        } else {  // subnormal: renormalise
            int shift = 0;
            while (!(mantissa & 0x400)) { mantissa <<= 1; shift++; }
            mantissa &= 0x3FF;
            bits = sign | ((uint32_t)(127 - 15 - shift + 1) << 23) | (mantissa << 13);
        }
    } else if (exponent == 31) {
        bits = sign | 0x7F800000 | (mantissa << 13);
    } else {
        bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t ck_f32_to_f16(float value) {
    // Round to nearest even through the hardware path where there is one.
#if defined(__F16C__)
    return (uint16_t)_cvtss_sh(value, 0);
#else
    uint32_t x;
    memcpy(&x, &value, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    int32_t exponent = (int32_t)((x >> 23) & 0xFF) - 127 + 15;
    uint32_t mantissa = x & 0x7FFFFF;
    if (((x >> 23) & 0xFF) == 0xFF) return (uint16_t)(sign | 0x7C00 | (mantissa ? 0x200 : 0));
    if (exponent >= 31) return (uint16_t)(sign | 0x7C00);
    if (exponent <= 0) {
        if (exponent < -10) return (uint16_t)sign;
        mantissa |= 0x800000;
        uint32_t shift = (uint32_t)(14 - exponent);
        uint32_t half = mantissa >> shift;
        uint32_t rest = mantissa & ((1u << shift) - 1);
        uint32_t mid = 1u << (shift - 1);
        if (rest > mid || (rest == mid && (half & 1))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = sign | ((uint32_t)exponent << 10) | (mantissa >> 13);
    uint32_t rest = mantissa & 0x1FFF;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) half++;
    return (uint16_t)half;
#endif
}

#if CK_X86
__attribute__((target("avx512f,avx512bw,avx512vl")))
static void bf16_to_f32_avx512(const uint16_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(src + i)));
        _mm512_storeu_ps(dst + i, _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16)));
    }
    for (; i < n; i++) {
        uint32_t bits = (uint32_t)src[i] << 16;
        memcpy(dst + i, &bits, 4);
    }
}


__attribute__((target("avx2,f16c")))
static void f16_to_f32_f16c(const uint16_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
    for (; i < n; i++) dst[i] = ck_f16_value(src[i]);
}

__attribute__((target("avx2,f16c")))
static void f32_to_f16_f16c(const float *src, uint16_t *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(dst + i), _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) dst[i] = ck_f32_to_f16(src[i]);
}
#endif  // CK_X86

void ck_bf16_to_f32(const uint16_t *src, float *dst, size_t n) {
#if CK_X86
    if (ck_isa() >= 3) { bf16_to_f32_avx512(src, dst, n); return; }
#endif
    for (size_t i = 0; i < n; i++) {
        uint32_t bits = (uint32_t)src[i] << 16;
        memcpy(dst + i, &bits, 4);
    }
}

void ck_f16_to_f32(const uint16_t *src, float *dst, size_t n) {
#if CK_X86
    if (ck_isa() >= 2) { f16_to_f32_f16c(src, dst, n); return; }
#endif
    for (size_t i = 0; i < n; i++) dst[i] = ck_f16_value(src[i]);
}

void ck_f32_to_f16_n(const float *src, uint16_t *dst, size_t n) {
#if CK_X86
    if (ck_isa() >= 2) { f32_to_f16_f16c(src, dst, n); return; }
#endif
    for (size_t i = 0; i < n; i++) dst[i] = ck_f32_to_f16(src[i]);
}
