// What the AMX tile kernels share (matmul_amx.c, matmul_quant_amx.c): the tile configuration, and the
// 16 x 16 transpose of 32-bit elements that turns weight rows into the layout B tiles take.
#pragma once
#include "arch.h"
#if CK_X86
#include <stdint.h>
#include <string.h>

// The 64-byte tile configuration (palette 1): each tile's rows and bytes per row.
typedef struct {
    uint8_t palette, start_row, reserved[14];
    uint16_t bytes_per_row[16];
    uint8_t rows[16];
} ck_tile_config;

static inline void ck_tile_shape(ck_tile_config *config, int tile, int rows, int bytes_per_row) {
    config->palette = 1;
    config->rows[tile] = (uint8_t)rows;
    config->bytes_per_row[tile] = (uint16_t)bytes_per_row;
}

// v[i], row i on entry, is column i on return: pairs, quads, then 128-bit lanes twice.
__attribute__((target("avx512f"), always_inline)) static inline void ck_transpose_dwords(__m512i v[16]) {
    __m512i t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(v[i], v[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(v[i], v[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        v[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
        v[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
        v[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
        v[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_i32x4(v[i], v[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_i32x4(v[i], v[i + 4], 0xDD);
        t[i + 8] = _mm512_shuffle_i32x4(v[i + 8], v[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_i32x4(v[i + 8], v[i + 12], 0xDD);
    }
    for (int i = 0; i < 4; i++) {
        v[i] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0x88);
        v[i + 8] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0xDD);
        v[i + 4] = _mm512_shuffle_i32x4(t[i + 4], t[i + 12], 0x88);
        v[i + 12] = _mm512_shuffle_i32x4(t[i + 4], t[i + 12], 0xDD);
    }
}

#endif  // CK_X86
