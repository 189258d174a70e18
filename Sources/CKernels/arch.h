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

#include <stddef.h>
#include <stdint.h>

// The quantized kernels read each pair of rows' blocks once, in order, and fetch them this many bytes
// ahead: a q4 row is consumed fast enough that the hardware prefetcher alone leaves this core's share
// of the bandwidth unused (measured: 34 -> 41 GB/s on one thread, the read probe's 42). q8 kept pace
// without on an AMD Zen 4 VM, but not on an Intel Emerald Rapids one: a one-thread q8 step took
// 263-283 ms with the prefetch against 287-327 without (`higgs bench model --precisions q8 --threads
// 1,2`, three alternating rounds); and the tiles of several inputs took 1.3-1.5 times as long without
// (one thread's q4 product with 1-4 inputs, 8192 x 3072 and 3072 x 8192 matrices, a C harness).
#define CK_WEIGHTS_AHEAD 8192

// Fetches the `bytes` (whole 64-byte lines) from `block` on, CK_WEIGHTS_AHEAD ahead.
static inline void ck_fetch_ahead(const uint8_t *block, size_t bytes) {
    for (size_t line = 0; line < bytes; line += 64) __builtin_prefetch(block + line + CK_WEIGHTS_AHEAD);
}

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
