// A persistent pool of worker threads for splitting one kernel call across cores.
//
// Decoding calls a few hundred small kernels per step, so handing out work must cost
// microseconds: workers spin on a generation counter for a short while after each job and only
// then sleep on a condition variable (so an idle studio does not burn a core).
#define _GNU_SOURCE
#include "ckernels.h"
#include "arch.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ck_pool {
    size_t n_threads;  // including the caller
    pthread_t *workers;
    pthread_mutex_t lock;      // guards sleeping workers
    pthread_cond_t wake;
    pthread_mutex_t run_lock;  // one job at a time

    _Atomic uint64_t generation;
    // The job's tickets in one word: generation (24 bits) | task count (20 bits) | next task (20 bits).
    // A claim is a compare-and-swap on the whole word, so a worker still holding an old job's
    // ticket can never take a task of the next job.
    _Atomic uint64_t ticket;
    _Atomic size_t finished;
    _Atomic int sleepers;
    _Atomic int stop;

    ck_task_fn fn;
    void *context;
};

#define TASK_BITS 20
#define TASK_MASK ((UINT64_C(1) << TASK_BITS) - 1)

static const long spin_nanoseconds = 200000;

static long elapsed_ns(const struct timespec *since) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000000000L + (now.tv_nsec - since->tv_nsec);
}

static void run_tasks(ck_pool *pool, uint64_t generation) {
    uint64_t mine = generation & ((UINT64_C(1) << (64 - 2 * TASK_BITS)) - 1);
    for (;;) {
        uint64_t ticket = atomic_load_explicit(&pool->ticket, memory_order_acquire);
        if ((ticket >> (2 * TASK_BITS)) != mine) return;  // a newer job: not ours
        size_t n = (size_t)((ticket >> TASK_BITS) & TASK_MASK), task = (size_t)(ticket & TASK_MASK);
        if (task >= n) return;
        if (!atomic_compare_exchange_weak_explicit(&pool->ticket, &ticket, ticket + 1, memory_order_acq_rel,
                                                   memory_order_acquire))
            continue;
        pool->fn(pool->context, task, n);
        atomic_fetch_add_explicit(&pool->finished, 1, memory_order_release);
    }
}

static void *worker_main(void *argument) {
    ck_pool *pool = argument;
    uint64_t seen = 0;
    for (;;) {
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        unsigned spins = 0;
        while (atomic_load_explicit(&pool->generation, memory_order_acquire) == seen) {
            if (atomic_load_explicit(&pool->stop, memory_order_acquire)) return NULL;
            ck_spin_pause();
            if ((++spins & 255) == 0 && elapsed_ns(&start) > spin_nanoseconds) {
                pthread_mutex_lock(&pool->lock);
                atomic_fetch_add(&pool->sleepers, 1);
                while (atomic_load(&pool->generation) == seen && !atomic_load(&pool->stop))
                    pthread_cond_wait(&pool->wake, &pool->lock);
                atomic_fetch_sub(&pool->sleepers, 1);
                pthread_mutex_unlock(&pool->lock);
            }
        }
        seen = atomic_load_explicit(&pool->generation, memory_order_acquire);
        run_tasks(pool, seen);
    }
}

ck_pool *ck_pool_create(size_t n_threads) {
    ck_pool *pool = calloc(1, sizeof *pool);
    if (!pool) return NULL;
    pool->n_threads = n_threads < 1 ? 1 : n_threads;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_mutex_init(&pool->run_lock, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pool->workers = calloc(pool->n_threads, sizeof(pthread_t));
    for (size_t i = 1; i < pool->n_threads; i++) pthread_create(&pool->workers[i], NULL, worker_main, pool);
    return pool;
}

void ck_pool_destroy(ck_pool *pool) {
    if (!pool) return;
    pthread_mutex_lock(&pool->lock);
    atomic_store(&pool->stop, 1);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
    for (size_t i = 1; i < pool->n_threads; i++) pthread_join(pool->workers[i], NULL);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->lock);
    pthread_mutex_destroy(&pool->run_lock);
    free(pool->workers);
    free(pool);
}

size_t ck_pool_threads(const ck_pool *pool) { return pool ? pool->n_threads : 1; }

void ck_pool_run(ck_pool *pool, ck_task_fn fn, void *context, size_t n_tasks) {
    if (n_tasks == 0) return;
    if (!pool || pool->n_threads == 1 || n_tasks == 1 || n_tasks > TASK_MASK) {
        for (size_t t = 0; t < n_tasks; t++) fn(context, t, n_tasks);
        return;
    }
    // One job at a time: callers on other threads (say, the codec while the model decodes) wait here.
    pthread_mutex_lock(&pool->run_lock);
    // No job is in flight here (the previous one waited for all its tasks), so the fields can be set
    // before the ticket publishes them.
    pool->fn = fn;
    pool->context = context;
    atomic_store_explicit(&pool->finished, 0, memory_order_relaxed);
    uint64_t generation = atomic_load_explicit(&pool->generation, memory_order_relaxed) + 1;
    uint64_t mine = generation & ((UINT64_C(1) << (64 - 2 * TASK_BITS)) - 1);
    atomic_store_explicit(&pool->ticket, (mine << (2 * TASK_BITS)) | ((uint64_t)n_tasks << TASK_BITS), memory_order_release);
    atomic_store(&pool->generation, generation);  // sequentially consistent with the sleepers check below
    if (atomic_load(&pool->sleepers) > 0) {
        pthread_mutex_lock(&pool->lock);
        pthread_cond_broadcast(&pool->wake);
        pthread_mutex_unlock(&pool->lock);
    }
    run_tasks(pool, generation);
    while (atomic_load_explicit(&pool->finished, memory_order_acquire) < n_tasks) ck_spin_pause();
    pthread_mutex_unlock(&pool->run_lock);
}

// ---- rows balanced as they run

// A task's rows [front, back) in one word, so that the owner taking from the front and a thief
// taking from the back agree by compare-and-swap.
typedef struct {
    _Alignas(64) _Atomic uint64_t span;  // front << 32 | back
} row_share;

typedef struct {
    ck_rows_fn fn;
    void *context;
    size_t granule, chunk;
    row_share shares[CK_POOL_MAX_SHARES];
} rows_job;

static uint64_t pack(size_t front, size_t back) { return (uint64_t)front << 32 | (uint64_t)back; }

// The next rows from the front of the owner's share: a quarter of what is left, in whole granules,
// and no fewer than `chunk`. Claims shrink as the share does, so an owner makes a few dozen
// compare-and-swaps per job rather than one per chunk (each is a full barrier in the middle of its
// stream), and near the end a thief still finds rows to take.
static int take_front(row_share *share, size_t chunk, size_t granule, size_t *lo, size_t *hi) {
    uint64_t span = atomic_load_explicit(&share->span, memory_order_relaxed);
    for (;;) {
        size_t front = span >> 32, back = (uint32_t)span;
        if (front >= back) return 0;
        size_t quarter = (back - front) / 4 / granule * granule, claim = quarter > chunk ? quarter : chunk;
        size_t end = front + claim < back ? front + claim : back;
        if (atomic_compare_exchange_weak_explicit(&share->span, &span, pack(end, back), memory_order_relaxed, memory_order_relaxed)) {
            *lo = front, *hi = end;
            return 1;
        }
    }
}

// The back half (whole granules) of another task's remaining rows, if it has two granules or more.
static int take_back_half(row_share *share, size_t granule, size_t *lo, size_t *hi) {
    uint64_t span = atomic_load_explicit(&share->span, memory_order_relaxed);
    for (;;) {
        size_t front = span >> 32, back = (uint32_t)span;
        if (back < front + 2 * granule) return 0;
        size_t middle = front + ((back - front) / 2 + granule - 1) / granule * granule;
        if (atomic_compare_exchange_weak_explicit(&share->span, &span, pack(front, middle), memory_order_relaxed, memory_order_relaxed)) {
            *lo = middle, *hi = back;
            return 1;
        }
    }
}

static void rows_task(void *context, size_t task, size_t n_tasks) {
    rows_job *job = context;
    row_share *own = &job->shares[task];
    for (;;) {
        size_t lo, hi;
        while (take_front(own, job->chunk, job->granule, &lo, &hi)) job->fn(job->context, lo, hi);
        // Out of rows: the back half of the largest share left becomes this task's share.
        size_t victim = n_tasks, most = 0;
        for (size_t t = 0; t < n_tasks; t++) {
            uint64_t span = atomic_load_explicit(&job->shares[t].span, memory_order_relaxed);
            size_t left = (uint32_t)span > (span >> 32) ? (uint32_t)span - (span >> 32) : 0;
            if (t != task && left > most) most = left, victim = t;
        }
        if (victim == n_tasks || !take_back_half(&job->shares[victim], job->granule, &lo, &hi)) return;
        atomic_store_explicit(&own->span, pack(lo, hi), memory_order_relaxed);
    }
}

void ck_pool_run_rows(ck_pool *pool, ck_rows_fn fn, void *context, size_t n_rows, size_t granule) {
    size_t tasks = ck_pool_threads(pool);
    if (tasks > CK_POOL_MAX_SHARES) tasks = CK_POOL_MAX_SHARES;
    if (granule < 1) granule = 1;
    if (tasks == 1 || n_rows < 2 * granule || n_rows > UINT32_MAX) {
        if (n_rows) fn(context, 0, n_rows);
        return;
    }
    rows_job job = {fn, context, granule, 0, {{0}}};
    // Claims end at 1/64 of a share: a thread that runs out waits at most for the chunk the other is in.
    size_t chunk = n_rows / (tasks * 64);
    job.chunk = chunk < granule ? granule : chunk / granule * granule;
    for (size_t t = 0; t < tasks; t++) {
        size_t lo = n_rows * t / tasks / granule * granule, hi = t == tasks - 1 ? n_rows : n_rows * (t + 1) / tasks / granule * granule;
        atomic_init(&job.shares[t].span, pack(lo, hi));
    }
    ck_pool_run(pool, rows_task, &job, tasks);
}

// ---- bandwidth probe

typedef struct {
    const uint8_t *data;
    size_t bytes;
    double sums[64];
} read_job;

// Each task XORs its share of the bytes into a few registers (nothing to compute, so loads alone set the pace).
static void read_portable(read_job *job, size_t task, size_t n_tasks) {
    size_t chunk = (job->bytes / n_tasks) & ~(size_t)127;
    const uint8_t *p = job->data + task * chunk;
    uint64_t a[16] = {0};
    for (size_t i = 0; i + 128 <= chunk; i += 128) {
        uint64_t line[16];
        memcpy(line, p + i, 128);
        for (int k = 0; k < 16; k++) a[k] ^= line[k];
    }
    for (int k = 1; k < 16; k++) a[0] ^= a[k];
    job->sums[task % 64] = (double)a[0];
}

#if CK_X86
__attribute__((target("avx2")))
static void read_avx2(read_job *job, size_t task, size_t n_tasks) {
    size_t chunk = (job->bytes / n_tasks) & ~(size_t)127;
    const uint8_t *p = job->data + task * chunk;
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i + 128 <= chunk; i += 128) {
        a0 = _mm256_xor_si256(a0, _mm256_loadu_si256((const __m256i *)(p + i)));
        a1 = _mm256_xor_si256(a1, _mm256_loadu_si256((const __m256i *)(p + i + 32)));
        a2 = _mm256_xor_si256(a2, _mm256_loadu_si256((const __m256i *)(p + i + 64)));
        a3 = _mm256_xor_si256(a3, _mm256_loadu_si256((const __m256i *)(p + i + 96)));
    }
    __m256i all = _mm256_xor_si256(_mm256_xor_si256(a0, a1), _mm256_xor_si256(a2, a3));
    job->sums[task % 64] = (double)_mm256_extract_epi64(all, 0);
}
#endif

static void read_task(void *context, size_t task, size_t n_tasks) {
#if CK_X86
    if (ck_isa() >= 2) { read_avx2(context, task, n_tasks); return; }
#endif
    read_portable(context, task, n_tasks);
}

double ck_read_bandwidth(ck_pool *pool, const void *data, size_t n_bytes, int repeats) {
    read_job job = {data, n_bytes, {0}};
    size_t tasks = ck_pool_threads(pool);
    double best = 0;
    for (int r = 0; r < repeats; r++) {
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        ck_pool_run(pool, read_task, &job, tasks);
        double seconds = elapsed_ns(&start) / 1e9;
        double rate = (double)n_bytes / seconds / 1e9;
        if (rate > best) best = rate;
    }
    return best;
}
