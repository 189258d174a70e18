// The C kernels on a machine the Swift tests do not run on: built for aarch64 and run under qemu by
// check.sh. At every level the (emulated) core has (portable; NEON without and with the dot-product
// instructions) the quantized products equal exact integer sums times the scales, the batched ones
// equal them too, rows outside a range stay untouched, and the portable attention, softmax, SwiGLU and
// thread pool work there. Exits 1 on the first report of a difference (all are printed).
#include "ckernels.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ck_vector_value(const int8_t *quants, size_t e);  // quantize.c

static int failures = 0;
#define CHECK(condition, ...)                                   \
    do {                                                        \
        if (!(condition)) {                                     \
            failures++;                                         \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                       \
            fputc('\n', stderr);                                \
        }                                                       \
    } while (0)

static uint64_t state = 0x2545F4914F6CDD1D;
static float uniform(void) {  // in [-1, 1)
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((state >> 40) & 0xFFFFFF) / (float)(1 << 23) - 1.0f;
}

static size_t matrix_bytes(int bits, size_t rows, size_t cols) {
    return bits == 8 ? ck_q8_bytes(rows, cols) : bits == 6 ? ck_q6_bytes(rows, cols) : ck_q4_bytes(rows, cols);
}

static void quantize(int bits, const float *w, size_t rows, size_t cols, uint8_t *data) {
    if (bits == 8) ck_quantize_q8_rows(w, cols, 0, rows, (int8_t *)data);
    else if (bits == 6) ck_quantize_q6_rows(w, cols, 0, rows, data);
    else ck_quantize_q4_rows(w, cols, 0, rows, data);
}

static int value(int bits, const uint8_t *data, size_t cols, size_t r, size_t e) {
    if (bits == 8) return ck_q8_value((ck_q8_matrix){(const int8_t *)data}, cols, r, e);
    return bits == 6 ? ck_q6_value((ck_q6_matrix){data}, cols, r, e) : ck_q4_value((ck_q4_matrix){data}, cols, r, e);
}

static float scale(int bits, const uint8_t *data, size_t cols, size_t r, size_t b) {
    if (bits == 8) return ck_q8_scale((ck_q8_matrix){(const int8_t *)data}, cols, r, b);
    return bits == 6 ? ck_q6_scale((ck_q6_matrix){data}, cols, r, b) : ck_q4_scale((ck_q4_matrix){data}, cols, r, b);
}

static void matvec(int bits, const uint8_t *data, const ck_q8_vector *x, float *y, size_t cols, size_t r0, size_t r1) {
    if (bits == 8) ck_matvec_q8((ck_q8_matrix){(const int8_t *)data}, x, y, cols, r0, r1);
    else if (bits == 6) ck_matvec_q6((ck_q6_matrix){data}, x, y, cols, r0, r1);
    else ck_matvec_q4((ck_q4_matrix){data}, x, y, cols, r0, r1);
}

static void matmul(int bits, const uint8_t *data, const ck_q8_vector *x, size_t n, float *y, size_t ldy, size_t cols,
                   size_t r0, size_t r1) {
    if (bits == 8) ck_matmul_q8((ck_q8_matrix){(const int8_t *)data}, x, n, y, ldy, cols, r0, r1);
    else if (bits == 6) ck_matmul_q6((ck_q6_matrix){data}, x, n, y, ldy, cols, r0, r1);
    else ck_matmul_q4((ck_q4_matrix){data}, x, n, y, ldy, cols, r0, r1);
}

// Row r's product as the format defines it: exact integer dots per block, times both scales, in double.
static double reference(int bits, const uint8_t *data, const ck_q8_vector *x, size_t cols, size_t r) {
    double sum = 0;
    for (size_t b = 0; b < cols / CK_BLOCK; b++) {
        long dot = 0;
        for (size_t e = b * CK_BLOCK; e < (b + 1) * CK_BLOCK; e++)
            dot += (long)value(bits, data, cols, r, e) * ck_vector_value(x->quants, e);
        sum += (double)dot * scale(bits, data, cols, r, b) * x->scales[b];
    }
    return sum;
}

typedef struct {
    int8_t *quants;
    float *scales;
    int32_t *sums;
    ck_q8_vector vector;
} input;

static input make_input(const float *values, size_t valid, size_t cols) {
    input in = {malloc(cols), malloc(cols / CK_BLOCK * sizeof(float)), malloc(cols / CK_BLOCK * sizeof(int32_t))};
    in.vector = (ck_q8_vector){in.quants, in.scales, in.sums};
    ck_quantize_vector(values, valid, cols, &in.vector);
    return in;
}

static void free_input(input *in) { free(in->quants), free(in->scales), free(in->sums); }

// One matrix (`w` null: every weight -1, the format's extreme level; `x_sign` != 0: every input that
// sign, at +-127) through the single and batched products of the current level.
static void check_products(int bits, size_t rows, size_t cols, size_t valid, int extreme, const char *level) {
    enum { INPUTS = 5 };
    float *w = malloc(rows * cols * sizeof(float)), *x = malloc(cols * sizeof(float));
    for (size_t i = 0; i < rows * cols; i++) w[i] = extreme ? -1.0f : uniform();
    uint8_t *data = malloc(matrix_bytes(bits, rows, cols));
    quantize(bits, w, rows, cols, data);
    input in[INPUTS];
    for (int i = 0; i < INPUTS; i++) {
        for (size_t c = 0; c < cols; c++) x[c] = extreme ? (i % 2 ? -1.0f : 1.0f) : 3 * uniform();
        in[i] = make_input(x, valid, cols);
    }
    ck_q8_vector vectors[INPUTS];
    for (int i = 0; i < INPUTS; i++) vectors[i] = in[i].vector;

    float *y = malloc(rows * sizeof(float)), *batched = malloc(INPUTS * rows * sizeof(float));
    for (int i = 0; i < INPUTS; i++) {
        double *want = malloc(rows * sizeof(double)), top = 1e-30;
        for (size_t r = 0; r < rows; r++) want[r] = reference(bits, data, &vectors[i], cols, r), top = fmax(top, fabs(want[r]));
        for (size_t r = 0; r < rows; r++) y[r] = -7.0f;
        size_t r0 = rows > 2 ? 1 : 0, r1 = rows > 2 ? rows - 1 : rows;
        matvec(bits, data, &vectors[i], y, cols, r0, r1);
        for (size_t r = 0; r < rows; r++) {
            if (r < r0 || r >= r1) CHECK(y[r] == -7.0f, "q%d %zux%zu %s: row %zu outside [%zu, %zu) written", bits, rows, cols, level, r, r0, r1);
            else CHECK(fabs(y[r] - want[r]) <= 1e-5 * top, "q%d %zux%zu %s input %d row %zu: %.7g, want %.7g", bits, rows,
                       cols, level, i, r, y[r], want[r]);
        }
        free(want);
    }
    for (int n = INPUTS; n >= 2; n--) {  // a last tile of 1, then whole tiles of 4, 3 and 2
        for (size_t i = 0; i < INPUTS * rows; i++) batched[i] = NAN;
        matmul(bits, data, vectors, (size_t)n, batched, rows, cols, 0, rows);
        for (int i = 0; i < n; i++) {
            matvec(bits, data, &vectors[i], y, cols, 0, rows);
            for (size_t r = 0; r < rows; r++)
                CHECK(fabsf(batched[i * rows + r] - y[r]) <= 1e-5f * fmaxf(1e-30f, fabsf(y[r])) + 1e-6f,
                      "q%d %zux%zu %s batched input %d of %d, row %zu: %.7g, single %.7g", bits, rows, cols, level, i, n, r,
                      batched[i * rows + r], y[r]);
        }
    }
    for (int i = 0; i < INPUTS; i++) free_input(&in[i]);
    free(w), free(x), free(data), free(y), free(batched);
}

static void check_level(const char *level) {
    static const size_t shapes[][3] = {{7, 512, 512}, {33, 1536, 1536}, {4, 3072, 3000}, {1, 512, 17}, {2, 1024, 1024}};
    for (int f = 0; f < 3; f++) {
        int bits = f == 0 ? 8 : f == 1 ? 6 : 4;
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
            check_products(bits, shapes[s][0], shapes[s][1], shapes[s][2], 0, level);
        check_products(bits, 6, 1024, 1024, 1, level);
    }
}

// Float weights (f32, bf16, f16) at `level` against double sums of the weights as stored; rows outside
// a range untouched.
static void check_float_products(int level) {
    static const size_t shapes[][2] = {{7, 64}, {33, 3072}, {5, 100}, {3, 8192}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        size_t rows = shapes[s][0], cols = shapes[s][1];
        float *w = malloc(rows * cols * sizeof(float)), *x = malloc(cols * sizeof(float)), *values = malloc(rows * cols * sizeof(float));
        uint16_t *halves = malloc(rows * cols * 2), *brains = malloc(rows * cols * 2);
        for (size_t i = 0; i < rows * cols; i++) w[i] = uniform();
        for (size_t i = 0; i < cols; i++) x[i] = 3 * uniform();
        ck_f32_to_f16_n(w, halves, rows * cols);
        for (size_t i = 0; i < rows * cols; i++) {
            uint32_t bits;
            memcpy(&bits, &w[i], 4);
            brains[i] = (uint16_t)(bits >> 16);
        }
        for (int type = 0; type < 3; type++) {
            if (type == 0) memcpy(values, w, rows * cols * sizeof(float));
            else if (type == 1) ck_bf16_to_f32(brains, values, rows * cols);
            else ck_f16_to_f32(halves, values, rows * cols);
            float y[64];
            for (size_t r = 0; r < rows; r++) y[r] = -7.0f;
            ck_set_isa(level);
            if (type == 0) ck_matvec_f32(w, x, y, cols, 1, rows - 1);
            else if (type == 1) ck_matvec_bf16(brains, x, y, cols, 1, rows - 1);
            else ck_matvec_f16(halves, x, y, cols, 1, rows - 1);
            ck_set_isa(9);
            double top = 1e-30, want[64];
            for (size_t r = 0; r < rows; r++) {
                want[r] = 0;
                for (size_t c = 0; c < cols; c++) want[r] += (double)values[r * cols + c] * x[c];
                top = fmax(top, fabs(want[r]));
            }
            for (size_t r = 0; r < rows; r++) {
                if (r == 0 || r == rows - 1) CHECK(y[r] == -7.0f, "%s %zux%zu level %d: row %zu written", type == 0 ? "f32" : type == 1 ? "bf16" : "f16", rows, cols, level, r);
                else CHECK(fabs(y[r] - want[r]) < 1e-5 * top, "%s %zux%zu level %d row %zu: %.7g, want %.7g",
                           type == 0 ? "f32" : type == 1 ? "bf16" : "f16", rows, cols, level, r, y[r], want[r]);
            }
        }
        free(w), free(x), free(values), free(halves), free(brains);
    }
}

// Attention of one query position at the current level, head dimensions 24 to 320: over Float32 rows it
// equals the definition in double; over halves and int8 rows it equals the portable kernel's (the same
// rounded rows and queries). The scale is 1/8 throughout.
enum { GROUP = 3, KV = 2, KEYS = 37 };

static void attend(int type, int level, size_t d, const float *q, const float *k, const float *v, float *out) {
    size_t n = KV * KEYS * d;
    float scores[GROUP * KEYS], s = 1.0f / 8;
    ck_set_isa(level);
    if (type == 0) {
        ck_attend_kv_heads(q, k, v, out, scores, GROUP, d, KEYS, KEYS, s, 0, KV);
    } else if (type == 1) {
        uint16_t *kh = malloc(n * 2), *vh = malloc(n * 2);
        ck_f32_to_f16_n(k, kh, n);
        ck_f32_to_f16_n(v, vh, n);
        ck_attend_kv_heads_f16(q, kh, vh, out, scores, GROUP, d, KEYS, KEYS, s, 0, KV);
        free(kh), free(vh);
    } else {
        int8_t *kq = malloc(n), *vq = malloc(n);
        float kscales[KV * KEYS], vscales[KV * KEYS];
        ck_quantize_kv_rows(k, KV * KEYS, d, kq, kscales);
        ck_quantize_kv_rows(v, KV * KEYS, d, vq, vscales);
        ck_attend_kv_heads_i8(q, kq, vq, kscales, vscales, out, scores, GROUP, d, KEYS, KEYS, s, 0, KV);
        free(kq), free(vq);
    }
    ck_set_isa(9);
}

static void check_attention(int level) {
    static const size_t dims[] = {24, 64, 128, 320};
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
        size_t d = dims[di], heads = KV * GROUP;
        float *q = malloc(heads * d * sizeof(float)), *k = malloc(KV * KEYS * d * sizeof(float)),
              *v = malloc(KV * KEYS * d * sizeof(float)), *out = malloc(heads * d * sizeof(float)),
              *portable = malloc(heads * d * sizeof(float));
        for (size_t i = 0; i < heads * d; i++) q[i] = uniform();
        for (size_t i = 0; i < KV * KEYS * d; i++) k[i] = uniform(), v[i] = uniform();
        attend(0, level, d, q, k, v, out);
        for (size_t h = 0; h < heads; h++) {
            const float *kh = k + (h / GROUP) * KEYS * d, *vh = v + (h / GROUP) * KEYS * d;
            double logits[KEYS], top = -INFINITY, total = 0;
            for (int j = 0; j < KEYS; j++) {
                logits[j] = 0;
                for (size_t c = 0; c < d; c++) logits[j] += (double)q[h * d + c] * kh[j * d + c];
                logits[j] /= 8, top = fmax(top, logits[j]);
            }
            for (int j = 0; j < KEYS; j++) logits[j] = exp(logits[j] - top), total += logits[j];
            for (size_t c = 0; c < d; c++) {
                double want = 0;
                for (int j = 0; j < KEYS; j++) want += logits[j] / total * vh[j * d + c];
                CHECK(fabs(out[h * d + c] - want) < 1e-5, "attention d %zu level %d head %zu column %zu: %.7g, want %.7g", d,
                      level, h, c, out[h * d + c], want);
            }
        }
        for (int type = 1; type <= 2; type++) {
            attend(type, level, d, q, k, v, out);
            attend(type, 0, d, q, k, v, portable);
            for (size_t i = 0; i < heads * d; i++)
                CHECK(fabsf(out[i] - portable[i]) < 1e-5f, "attention over %s, d %zu, level %d at %zu: %.7g, portable %.7g",
                      type == 1 ? "halves" : "int8", d, level, i, out[i], portable[i]);
        }
        free(q), free(k), free(v), free(out), free(portable);
    }
}

// The elementwise kernels at `level`: SwiGLU and softmax against their definitions in double, input
// quantization bit for bit the portable one's; and the half-precision conversions.
static void check_elementwise(int level) {
    enum { N = 103 };
    float gate[N], up[N], soft[N], g0[N], s0[N];
    for (int i = 0; i < N; i++) gate[i] = 10 * uniform(), up[i] = uniform(), soft[i] = 20 * uniform();
    gate[0] = -100, gate[1] = 100;  // the clamped ends of the exponential
    memcpy(g0, gate, sizeof gate);
    memcpy(s0, soft, sizeof soft);
    ck_set_isa(level);
    ck_swiglu(gate, up, N);
    ck_softmax(soft, N);
    ck_set_isa(9);
    double top = -INFINITY, total = 0;
    for (int i = 0; i < N; i++) top = fmax(top, s0[i]);
    for (int i = 0; i < N; i++) total += exp(s0[i] - top);
    for (int i = 0; i < N; i++) {
        double want = g0[i] / (1 + exp(-(double)g0[i])) * up[i];
        CHECK(fabs(gate[i] - want) <= 1e-6 * fmax(1, fabs(want)), "swiglu level %d at %d: %.7g, want %.7g", level, i, gate[i], want);
        double p = exp(s0[i] - top) / total;
        CHECK(fabs(soft[i] - p) < 1e-6, "softmax level %d at %d: %.7g, want %.7g", level, i, soft[i], p);
    }

    enum { COLS = 1536 };
    float x[COLS];
    for (int i = 0; i < COLS; i++) x[i] = 5 * uniform();
    for (int i = 32; i < 64; i++) x[i] = 0;  // a block of zeros
    x[70] = 0.5f, x[71] = -0.5f;               // ties
    for (size_t valid = 1000; valid <= COLS; valid += COLS - 1000) {
        ck_set_isa(level);
        input got = make_input(x, valid, COLS);
        ck_set_isa(0);
        input want = make_input(x, valid, COLS);
        ck_set_isa(9);
        CHECK(memcmp(got.quants, want.quants, COLS) == 0 && memcmp(got.scales, want.scales, COLS / CK_BLOCK * sizeof(float)) == 0 &&
                  memcmp(got.sums, want.sums, COLS / CK_BLOCK * sizeof(int32_t)) == 0,
              "input quantization at level %d, %zu valid, differs from the portable one", level, valid);
        free_input(&got), free_input(&want);
    }

    uint16_t h = ck_f32_to_f16(0.333333f), halves[9];
    float back[9], values[9] = {0, 1, -2.5f, 65504, 1e-7f, 0.1f, -0.333f, 3, 7};
    CHECK(fabsf(ck_f16_value(h) - 0.333333f) < 2e-4f, "f16 of 1/3: %g", ck_f16_value(h));
    ck_set_isa(level);
    ck_f32_to_f16_n(values, halves, 9);
    ck_f16_to_f32(halves, back, 9);
    ck_set_isa(9);
    for (int i = 0; i < 9; i++) CHECK(fabsf(back[i] - values[i]) <= 1e-3f * fabsf(values[i]) + 1e-7f, "f16 round trip %g: %g", values[i], back[i]);
}

// Quantizing at load at `level`: q8 the same bytes as the portable code; q4 and q6 search the same
// candidate steps, so their squared error is the portable one's to within near ties.
static void check_quantization(int level) {
    size_t rows = 16, cols = 1536;
    float *w = malloc(rows * cols * sizeof(float)), *back = malloc(rows * cols * sizeof(float));
    for (size_t i = 0; i < rows * cols; i++) w[i] = uniform() * (i % 97 == 0 ? 4 : 1);
    for (int bits = 4; bits <= 8; bits += 2) {
        size_t bytes = matrix_bytes(bits, rows, cols);
        uint8_t *mine = calloc(1, bytes), *portable = calloc(1, bytes);
        ck_set_isa(level);
        quantize(bits, w, rows, cols, mine);
        ck_set_isa(0);
        quantize(bits, w, rows, cols, portable);
        ck_set_isa(9);
        if (bits == 8) {
            CHECK(memcmp(mine, portable, bytes) == 0, "q8 quantization at level %d differs from the portable one", level);
        } else {
            double error[2] = {0, 0};
            for (int which = 0; which < 2; which++) {
                const uint8_t *data = which ? portable : mine;
                if (bits == 6) ck_dequantize_q6_rows((ck_q6_matrix){data}, cols, cols, 0, rows, back);
                else ck_dequantize_q4_rows((ck_q4_matrix){data}, cols, cols, 0, rows, back);
                for (size_t i = 0; i < rows * cols; i++) error[which] += ((double)back[i] - w[i]) * ((double)back[i] - w[i]);
            }
            CHECK(fabs(error[0] - error[1]) <= 1e-3 * error[1], "q%d quantization at level %d: squared error %.6g, portable %.6g",
                  bits, level, error[0], error[1]);
        }
        free(mine), free(portable);
    }
    free(w), free(back);
}

// The pool splits a product across threads: the same numbers as on one thread.
typedef struct {
    const uint8_t *data;
    const ck_q8_vector *x;
    float *y;
    size_t cols;
} pool_job;

static void pool_rows(void *context, size_t r0, size_t r1) {
    pool_job *job = context;
    matvec(4, job->data, job->x, job->y, job->cols, r0, r1);
}

static void check_pool(void) {
    size_t rows = 300, cols = 1024;
    float *w = malloc(rows * cols * sizeof(float)), x[1024];
    for (size_t i = 0; i < rows * cols; i++) w[i] = uniform();
    for (size_t i = 0; i < cols; i++) x[i] = uniform();
    uint8_t *data = malloc(ck_q4_bytes(rows, cols));
    quantize(4, w, rows, cols, data);
    input in = make_input(x, cols, cols);
    float serial[300], parallel[300];
    matvec(4, data, &in.vector, serial, cols, 0, rows);
    ck_pool *pool = ck_pool_create(3);
    pool_job job = {data, &in.vector, parallel, cols};
    for (int repeat = 0; repeat < 20; repeat++) {
        memset(parallel, 0, sizeof parallel);
        ck_pool_run_rows(pool, pool_rows, &job, rows, 2);
        CHECK(memcmp(serial, parallel, sizeof serial) == 0, "pool run %d differs from one thread", repeat);
    }
    CHECK(ck_read_bandwidth(pool, data, ck_q4_bytes(rows, cols), 2) > 0, "no read bandwidth");
    ck_pool_destroy(pool);
    free_input(&in);
    free(w), free(data);
}

int main(void) {
    int best = ck_set_isa(9);
    printf("kernels: %s (level %d)\n", ck_isa_name(), best);
    for (int level = 0; level <= best; level++) {
        if (ck_set_isa(level) != level) continue;
        for (int dots = 0; dots <= 1; dots++) {
            ck_set_isa(level);
            if (ck_set_byte_dots(dots) != dots) continue;
            printf("checking %s\n", ck_isa_name());
            check_level(ck_isa_name());
        }
        check_float_products(level);
        check_attention(level);
        check_elementwise(level);
        check_quantization(level);
    }
    check_pool();
    if (failures) {
        fprintf(stderr, "%d failures\n", failures);
        return 1;
    }
    printf("all kernels agree\n");
    return 0;
}
