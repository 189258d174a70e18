// Matrix-vector kernels and a persistent thread pool for batch-1 decoding.
//
// Weights are row-major [rows, cols] (rows = output features). Every kernel computes
// y[r] = dot(W[r, :], x) for r in [row_begin, row_end), so callers split rows across threads.
// Each kernel has AVX-512, AVX2 and portable variants chosen once at run time.
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Block-quantized weights. Each row is cut into blocks of CK_BLOCK consecutive columns with one
// scale each (IEEE half), and blocks into groups of CK_GROUP columns (16 blocks). Within a group the
// quantized values are interleaved: position t * 64 + k * 4 + j holds element 4t + j of block k
// (t < 8, k < 16, j < 4). Then one 64-byte vector carries four elements of every block, an integer
// dot product leaves block k's partial sum in 32-bit lane k, and eight of them sum a whole group
// before a single conversion to float. Rows must have a multiple of CK_GROUP columns.
#define CK_BLOCK 32
#define CK_GROUP 512

// Position of column c (within its group) in the interleaved order.
static inline size_t ck_interleaved(size_t c) {
    size_t block = c / CK_BLOCK, i = c % CK_BLOCK;
    return (i / 4) * 64 + block * 4 + (i % 4);
}

// Rows are stored in pairs with their scales inline: for each pair of rows and each group, the
// first row's group of quants (CK_GROUP * bits / 8 bytes), the second row's, then the first row's 16
// block scales and the second's (f16). A product then streams one run of memory, and a kernel taking
// a pair at once loads each input vector once for two rows: the loads, not the multiplies, held one
// core below the memory's pace. With an odd number of rows, the last pair's second row is zeros.
static inline size_t ck_pair_block_bytes(size_t group_bytes) { return 2 * group_bytes + 64; }
static inline size_t ck_pair_bytes(size_t group_bytes, size_t rows, size_t cols) {
    return (rows + 1) / 2 * (cols / CK_GROUP) * ck_pair_block_bytes(group_bytes);
}
// Offsets in the data of row r's quants of group g, and of its 16 scales there.
static inline size_t ck_pair_quants_at(size_t group_bytes, size_t cols, size_t r, size_t g) {
    return ((r / 2) * (cols / CK_GROUP) + g) * ck_pair_block_bytes(group_bytes) + (r % 2) * group_bytes;
}
static inline size_t ck_pair_scales_at(size_t group_bytes, size_t cols, size_t r, size_t g) {
    return ck_pair_quants_at(group_bytes, cols, r - r % 2, g) + 2 * group_bytes + (r % 2) * 32;
}

// q8: a group's 512 interleaved values, w = scale * q with q in [-127, 127].
#define CK_Q8_GROUP_BYTES 512
typedef struct {
    const int8_t *data;  // [ck_q8_bytes(rows, cols)]
} ck_q8_matrix;

// q4 packs a group's 512 interleaved positions into 256 bytes: position p < 256 in the low
// nibble of byte p, position p + 256 in its high nibble. The nibble n stands for w = scale * (n - 8).
#define CK_Q4_GROUP_BYTES 256
typedef struct {
    const uint8_t *data;  // [ck_q4_bytes(rows, cols)]
} ck_q4_matrix;

// q6 keeps a group's low four bits as q4 does (256 bytes), then 128 bytes of top bits: the two top
// bits of position p sit at bits 2 * (p / 128) of byte 256 + p % 128. The six bits u stand for
// w = scale * (u - 32). Kernels then take the low bits as q4 does and add the top ones with a shift
// and a mask per 64 positions.
#define CK_Q6_GROUP_BYTES 384
typedef struct {
    const uint8_t *data;  // [ck_q6_bytes(rows, cols)]
} ck_q6_matrix;

static inline size_t ck_q8_bytes(size_t rows, size_t cols) { return ck_pair_bytes(CK_Q8_GROUP_BYTES, rows, cols); }
static inline size_t ck_q6_bytes(size_t rows, size_t cols) { return ck_pair_bytes(CK_Q6_GROUP_BYTES, rows, cols); }
static inline size_t ck_q4_bytes(size_t rows, size_t cols) { return ck_pair_bytes(CK_Q4_GROUP_BYTES, rows, cols); }
static inline size_t ck_q8_quants_at(size_t cols, size_t r, size_t g) { return ck_pair_quants_at(CK_Q8_GROUP_BYTES, cols, r, g); }
static inline size_t ck_q6_quants_at(size_t cols, size_t r, size_t g) { return ck_pair_quants_at(CK_Q6_GROUP_BYTES, cols, r, g); }
static inline size_t ck_q4_quants_at(size_t cols, size_t r, size_t g) { return ck_pair_quants_at(CK_Q4_GROUP_BYTES, cols, r, g); }

// Element e of row r (q8: q; q6: u - 32; q4: n - 8) and the scale of its block b, one at a time
// (portable kernels, tests).
int ck_q8_value(ck_q8_matrix w, size_t cols, size_t r, size_t e);
int ck_q6_value(ck_q6_matrix w, size_t cols, size_t r, size_t e);
int ck_q4_value(ck_q4_matrix w, size_t cols, size_t r, size_t e);
float ck_q8_scale(ck_q8_matrix w, size_t cols, size_t r, size_t b);
float ck_q6_scale(ck_q6_matrix w, size_t cols, size_t r, size_t b);
float ck_q4_scale(ck_q4_matrix w, size_t cols, size_t r, size_t b);

// The input vector quantized once per product for the integer kernels (same interleaving).
typedef struct {
    int8_t *quants;  // [cols], interleaved
    float *scales;   // [cols / CK_BLOCK]
    int32_t *sums;   // [cols / CK_BLOCK]: sum of the block's quants (the offset term of unsigned weights)
} ck_q8_vector;

// Which instruction set the kernels use. x86: 0 portable, 2 AVX2+FMA+F16C, 3 AVX-512 (F, BW, VL), 4 AVX-512
// with VNNI, 5 that and AMX tiles. aarch64: 0 portable, 1 NEON.
int ck_isa(void);
const char *ck_isa_name(void);
// The best level this machine has, whatever $HIGGS_KERNELS says (for choosing OpenBLAS's kernels).
int ck_machine_isa(void);
// Forces a lower instruction set on the calling thread only (tests comparing variants); returns the level in effect.
int ck_set_isa(int level);
// Whether the level with a byte dot-product extension uses it, where the machine has it: AVX2 kernels
// AVX-VNNI (256-bit dot products of bytes), NEON kernels the Armv8.2 dot products (sdot). The setter
// forces it off (or back on, where the machine has it) on the calling thread until the next ck_set_isa;
// returns what is in effect.
int ck_byte_dots(void);
int ck_set_byte_dots(int enabled);

void ck_matvec_f32(const float *w, const float *x, float *y, size_t cols, size_t row_begin, size_t row_end);
void ck_matvec_bf16(const uint16_t *w, const float *x, float *y, size_t cols, size_t row_begin, size_t row_end);

// Batched bf16 products on AMX tiles (x86 with AMX-BF16 and AMX-INT8, level 5; elsewhere these do nothing and
// ck_amx says 0). ck_amx: whether they serve here (the CPU has the tiles, Linux granted them, and the level is 5).
int ck_amx(void);
// x [count, cols] = x1 + x2 + x3, each a bf16 (8 + 8 + 8 significant bits), as ck_matmul_bf16_amx reads them:
// three planes of ceil(count / 16) * 16 * cols elements (64-byte aligned), each in blocks of 16 positions,
// a block a run of [16 positions x 32 columns] tiles. cols a multiple of 32.
void ck_split_bf16(const float *x, size_t count, size_t cols, uint16_t *parts);
// y[t * ldy + r] = sum_c x[t, c] * w[r * cols + c] for t < count, r in [row_begin, row_end), x as split by
// ck_split_bf16: cols and the row bounds multiples of 32.
void ck_matmul_bf16_amx(const uint16_t *w, size_t cols, const uint16_t *x, size_t count, float *y, size_t ldy,
                        size_t row_begin, size_t row_end);
void ck_matvec_f16(const uint16_t *w, const float *x, float *y, size_t cols, size_t row_begin, size_t row_end);
void ck_matvec_q8(ck_q8_matrix w, const ck_q8_vector *x, float *y, size_t cols, size_t row_begin, size_t row_end);
void ck_matvec_q6(ck_q6_matrix w, const ck_q8_vector *x, float *y, size_t cols, size_t row_begin, size_t row_end);
void ck_matvec_q4(ck_q4_matrix w, const ck_q8_vector *x, float *y, size_t cols, size_t row_begin, size_t row_end);

// Several inputs at once (the batched products of a prefill): y[i * ldy + r] = dot(W[r], x[i]) for
// i < n_inputs and r in [row_begin, row_end). Each weight load serves several inputs, so these run at
// the integer units' speed rather than memory's.
void ck_matmul_q8(ck_q8_matrix w, const ck_q8_vector *x, size_t n_inputs, float *y, size_t ldy, size_t cols,
                  size_t row_begin, size_t row_end);
void ck_matmul_q6(ck_q6_matrix w, const ck_q8_vector *x, size_t n_inputs, float *y, size_t ldy, size_t cols,
                  size_t row_begin, size_t row_end);
void ck_matmul_q4(ck_q4_matrix w, const ck_q8_vector *x, size_t n_inputs, float *y, size_t ldy, size_t cols,
                  size_t row_begin, size_t row_end);

// The same products on AMX's int8 tiles (x86 with AMX-INT8 where ck_amx says 1; elsewhere they do nothing), the
// inputs quantized by ck_quantize_rows: y[t * ldy + r] for t < count, r in [row_begin, row_end) (multiples of 16).
void ck_matmul_q8_amx(ck_q8_matrix w, size_t cols, const int8_t *xq, const float *xs, size_t count, float *y,
                      size_t ldy, size_t row_begin, size_t row_end);
void ck_matmul_q6_amx(ck_q6_matrix w, size_t cols, const int8_t *xq, const float *xs, size_t count, float *y,
                      size_t ldy, size_t row_begin, size_t row_end);
void ck_matmul_q4_amx(ck_q4_matrix w, size_t cols, const int8_t *xq, const float *xs, size_t count, float *y,
                      size_t ldy, size_t row_begin, size_t row_end);
// Rows x[t * ldx ..] (t < count; the first `valid` values, zeros up to `cols`) quantized per block of CK_BLOCK as
// ck_quantize_vector does, but for the tiles: quants of 16 positions by a block in column order (512 bytes), all of
// a block of positions' blocks in turn, ceil(count / 16) blocks of positions, and their scales likewise (16 floats
// a block); the positions past count are zeros. x86 with AVX-512 only.
void ck_quantize_rows(const float *x, size_t ldx, size_t count, size_t valid, size_t cols, int8_t *quants,
                      float *scales);

// Quantizes x for ck_matvec_q8 / ck_matvec_q4: its first `valid` values, then zeros up to `cols`
// (a multiple of CK_GROUP: rows narrower than a group are stored padded with zeros).
void ck_quantize_vector(const float *x, size_t valid, size_t cols, ck_q8_vector *out);

// Quantizes rows [row_begin, row_end) of a float matrix (round to nearest; q8: scale = max|w| / 127,
// q6 and q4: the scale of least squared error near the extreme's, which maps to the lowest level).
// w = [row_end - row_begin][cols] becomes rows [row_begin, row_end) of the matrix at `data`.
void ck_quantize_q8_rows(const float *w, size_t cols, size_t row_begin, size_t row_end, int8_t *data);
void ck_quantize_q6_rows(const float *w, size_t cols, size_t row_begin, size_t row_end, uint8_t *data);
void ck_quantize_q4_rows(const float *w, size_t cols, size_t row_begin, size_t row_end, uint8_t *data);
// Expands the first `valid` columns of rows [row_begin, row_end) back to floats into
// out[(r - row_begin) * valid + c].
void ck_dequantize_q8_rows(ck_q8_matrix w, size_t cols, size_t valid, size_t row_begin, size_t row_end, float *out);
void ck_dequantize_q6_rows(ck_q6_matrix w, size_t cols, size_t valid, size_t row_begin, size_t row_end, float *out);
void ck_dequantize_q4_rows(ck_q4_matrix w, size_t cols, size_t valid, size_t row_begin, size_t row_end, float *out);

void ck_bf16_to_f32(const uint16_t *src, float *dst, size_t n);
void ck_f16_to_f32(const uint16_t *src, float *dst, size_t n);
uint16_t ck_f32_to_f16(float value);
// n values to IEEE half, rounded to nearest even (as ck_f32_to_f16).
void ck_f32_to_f16_n(const float *src, uint16_t *dst, size_t n);
float ck_f16_value(uint16_t bits);

// ---- activations (activation.c)

// gate[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + e^-g).
void ck_swiglu(float *gate, const float *up, size_t n);

// Softmax of one row in place with the attention kernels' exponential (a polynomial, relative error about
// 2e-7; libm's expf on the portable level): the prefill's attention weights.
void ck_softmax(float *x, size_t n);

// ---- attention of one query position (attention.c)

// For kv heads g0..<g1 and their `group` query heads each (query head h reads kv head h / group):
// out[h] = softmax(scale * q[h] . K) V, where a kv head's keys and values are `capacity` rows of `d`
// values of which the first `n_keys` count, Float32 or (the _f16 form) IEEE half. `scores` holds
// group * n_keys floats of scratch.
void ck_attend_kv_heads(const float *q, const float *keys, const float *values, float *out, float *scores,
                        size_t group, size_t d, size_t capacity, size_t n_keys, float scale, size_t g0, size_t g1);
void ck_attend_kv_heads_f16(const float *q, const uint16_t *keys, const uint16_t *values, float *out, float *scores,
                            size_t group, size_t d, size_t capacity, size_t n_keys, float scale, size_t g0, size_t g1);
// The same over int8 rows with one scale per row (`key_scales`, `value_scales`: [kv head][capacity]):
// a key row stands for key_scales[j] * keys[j][..], a value row likewise.
void ck_attend_kv_heads_i8(const float *q, const int8_t *keys, const int8_t *values, const float *key_scales,
                           const float *value_scales, float *out, float *scores, size_t group, size_t d,
                           size_t capacity, size_t n_keys, float scale, size_t g0, size_t g1);
// Rows of d floats to int8 with one scale each (max |x| / 127, rounded to nearest), and back.
void ck_quantize_kv_rows(const float *x, size_t rows, size_t d, int8_t *q, float *scales);
void ck_dequantize_kv_rows(const int8_t *q, const float *scales, size_t rows, size_t d, float *out);
// Each row of d floats rounded in place to its int8 grid (the two calls above in one).
void ck_round_rows_to_int8(float *x, size_t rows, size_t d);
// The int8 grid of one such row (KV-cache rows, and the queries that meet them): returns its scale,
// max |x| / 127, and sets *inverse to 127 / max |x| (0 for a zero row).
static inline float ck_int8_row_scale(const float *row, size_t d, float *inverse) {
    float top = 0;
    for (size_t c = 0; c < d; c++) {
        float a = row[c] < 0 ? -row[c] : row[c];
        if (a > top) top = a;
    }
    *inverse = top > 0 ? 127.0f / top : 0.0f;
    return top / 127.0f;
}

// A pool of worker threads that stay alive between calls: ck_pool_run hands each of n_tasks
// task indices to the workers and the calling thread and returns when all are done. Workers
// spin briefly after a job (the next one usually follows within microseconds) and then sleep.
// Calls from several threads are serialised; a task must not call ck_pool_run on its own pool.
typedef struct ck_pool ck_pool;
typedef void (*ck_task_fn)(void *context, size_t task, size_t n_tasks);

ck_pool *ck_pool_create(size_t n_threads);  // n_threads counts the caller
void ck_pool_destroy(ck_pool *pool);
size_t ck_pool_threads(const ck_pool *pool);
void ck_pool_run(ck_pool *pool, ck_task_fn fn, void *context, size_t n_tasks);

// Runs fn(context, begin, end) over rows [0, n_rows) in runs of whole `granule`s, one contiguous share
// per thread, balanced as they run: a thread takes chunks from the front of its share, and one that
// runs out takes the back half of the largest share left as its own. Every thread still reads one
// ascending run at a time, while a thread the machine slows no longer holds up the other.
#define CK_POOL_MAX_SHARES 64
typedef void (*ck_rows_fn)(void *context, size_t row_begin, size_t row_end);
void ck_pool_run_rows(ck_pool *pool, ck_rows_fn fn, void *context, size_t n_rows, size_t granule);

// Streams through n bytes with the given number of threads and returns GB/s (a bandwidth probe).
double ck_read_bandwidth(ck_pool *pool, const void *data, size_t n_bytes, int repeats);

#ifdef __cplusplus
}
#endif
#endif
