// What the kernels may assume of the processor they are compiled for. The AVX2 and AVX-512 variants
// exist on x86 only; elsewhere every kernel runs its portable variant (and, on aarch64, the quantized
// products their NEON one).
#pragma once
#if defined(__x86_64__) || defined(__i386__)
#define CK_X86 1
#include <immintrin.h>
#else
#define CK_X86 0
#endif
#if defined(__aarch64__)
#define CK_NEON 1
#include <arm_neon.h>
#else
#define CK_NEON 0
#endif

// Whether the CPU has AMX tiles (bf16 and int8) and the OS grants them to this process (matmul_amx.c): the
// x86 level above AVX-512 VNNI.
int ck_machine_tiles(void);

// A spinning thread's hint to its core that it waits (frees the pipeline for the sibling thread).
static inline void ck_spin_pause(void) {
#if CK_X86
    _mm_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}
