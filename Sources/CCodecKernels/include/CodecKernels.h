// SIMD loops of the audio codec: convolution and Winograd products on packed weights, snake, GELU.
// Each function is compiled for AVX-512, AVX2 and baseline x86-64 and picks one at load time.
// Ranges [begin, end) let callers split the rows across threads.
#ifndef CODEC_KERNELS_H
#define CODEC_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// A whole Winograd convolution F(m, r) (alpha = m + r - 1) for the tile panels [panel_begin, panel_end),
/// a panel being 32 consecutive tiles. Tile p reads x[c * ldx + start[p] + dilation * i] (i < alpha; at or
/// beyond `available` reads zero) and writes y[o * ldy + start[p] + dilation * j] for j < valid[p]:
///   y = bias + A^T [ (U x) ] with U packed as packed_u[((xi * (cout / 8) + block) * cin + c) * 8 + row]
///   (output channel block * 8 + row), cout a multiple of 8.
/// With `snake_alpha` the inputs pass through snake (one alpha per input channel) as they are read.
/// Only output channels of the 8-row blocks [block_begin, block_end) are written.
/// `scratch` holds alpha * (cin + cout) * 32 floats, one per calling thread.
void codec_winograd_panels(const float *x, long ldx, long available, long cin,
                           float *y, long ldy, long cout,
                           const long *start, const long *valid, long tiles, long dilation, long alpha, long m,
                           const float *bt, const float *at, const float *packed_u, const float *bias,
                           const float *snake_alpha, long panel_begin, long panel_end,
                           long block_begin, long block_end, float *scratch);

/// Packs a row-major [m x k] matrix (m a multiple of 8) for the product kernels:
/// packed[(block * k + kk) * 8 + row] = a[(block * 8 + row) * lda + kk].
void codec_pack_rows(const float *a, long lda, long m, long k, float *packed);

/// A 1-D convolution over the output columns of panels [panel_begin, panel_end) (32 columns each,
/// `count` in all), with weights packed by codec_pack_rows from [cout, cin * kernel]:
///   y[o * ldy + t] = bias[o] + sum_{c, j} w[o][c][j] * x[c * ldx + t * stride + j * dilation].
/// The caller has the padding in place; with `accumulate` the result is added to what y holds; with
/// `snake_alpha` the inputs pass through snake (one alpha per input channel) as they are read.
/// `scratch` holds cin * kernel * 32 floats, one per thread.
void codec_conv_panels(const float *packed_w, long cout, long cin, long kernel, long stride, long dilation,
                       const float *x, long ldx, float *y, long ldy, long count, const float *bias, int accumulate,
                       const float *snake_alpha, long panel_begin, long panel_end, float *scratch);

/// The same convolution one output row at a time, 16 outputs at a time, for layers whose output channels
/// do not come in eights (the decoder's last has one): w in PyTorch's [cout, cin, kernel], outputs t in
/// [begin, end), `snake_alpha` and `accumulate` as above.
void codec_conv_rows(const float *w, long cout, long cin, long kernel, long stride, long dilation,
                     const float *x, long ldx, float *y, long ldy, const float *bias, int accumulate,
                     const float *snake_alpha, long begin, long end);

/// Polyphase columns back into time order, for rows [row_begin, row_end):
///   y[o * ldy + m * phases + r - shift] = z[(o * phases + r) * ldz + m]   (m < columns, r < phases)
/// for the targets in [0, count); shift >= 0.
void codec_interleave_phases(const float *z, long ldz, long columns, long phases, long shift,
                             float *y, long ldy, long count, long row_begin, long row_end);

/// A strided signal's phases as channels, for rows [row_begin, row_end) of x:
///   y[(c * phases + r) * ldy + m] = x[c * ldx + m * phases + r]   (m < columns, r < phases)
/// where m * phases + r < available, zero past it (a stride-s convolution of x is then a stride-1 one of y).
void codec_split_phases(const float *x, long ldx, long available, long phases, float *y, long ldy, long columns,
                        long row_begin, long row_end);

/// Winograd weights for the panel kernel: packed_u[((xi * (cout / 8) + o / 8) * cin + c) * 8 + o % 8]
/// = sum_j g[xi * kernel + j] * w[(o * cin + c) * kernel + j], for w in PyTorch's [cout, cin, kernel].
void codec_winograd_weights(const float *w, long cout, long cin, long kernel, const float *g, long alpha, float *packed_u);

/// Snake on rows [begin, end): y = x + sin(alpha x)^2 / (alpha + 1e-9), one alpha per row (y may be x).
void codec_snake(const float *x, float *y, long ld, long count, const float *alpha, long begin, long end);

/// GELU with the error function, in place on x[begin, end): within 2e-6 of its exact value for |x| <= 5 (and
/// within 1e-6 |x| everywhere).
void codec_gelu(float *x, long begin, long end);

/// AMX tiles (x86-64 only; the caller checks that the CPU has them and Linux granted them), for stride-1
/// convolutions whose output rows and input channels are multiples of 32.
/// Elements (uint16) codec_amx_pack writes for a [rows, cin, kernel] Float32 weight.
long codec_amx_packed_count(long rows, long cin, long kernel);
/// Splits a [rows, cin, kernel] weight (PyTorch's layout) into bf16 parts hi and lo laid out as A tiles.
void codec_amx_pack(const float *w, long rows, long cin, long kernel, uint16_t *packed);
/// Bytes of scratch codec_conv_amx needs, one per calling thread.
long codec_amx_scratch_bytes(long cin, long kernel, long dilation);
/// codec_conv_panels (stride 1) on tiles, in Float32 accuracy (three bf16 products), for the output rows
/// [row_begin, row_end) (multiples of 32) of the panels [panel_begin, panel_end) of 128 positions.
void codec_conv_amx(const uint16_t *packed, long cin, long kernel, long dilation,
                    const float *x, long ldx, float *y, long ldy, long count, const float *bias, int accumulate,
                    const float *snake_alpha, long panel_begin, long panel_end, long row_begin, long row_end,
                    void *scratch);

/// glibc: serve blocks up to 32 MiB from the heap and keep up to 256 MiB free there, instead of
/// mapping each large block afresh (and faulting in cleared pages) on every allocation.
void codec_keep_scratch_in_heap(void);

#endif
