import COpenBLAS

/// Thin wrappers over the OpenBLAS calls the models use (row-major throughout).
///
/// OpenBLAS runs single-threaded and large products are split over `ThreadPool.shared` instead: with
/// its own threads, OpenBLAS leaves them spinning (`sched_yield`) for a while after every call, and on
/// a machine with as many busy pool threads as cores they took a fifth of the CPU from the pool's
/// kernels in prefill and in the codec.
public enum BLAS {
    private static let singleThreaded: Void = { openblas_set_num_threads(1) }()

    /// Products smaller than this many multiply-adds run on the calling thread.
    static let splitWork = 1 << 21

    /// C[m, n] = alpha * op(A) * op(B) + beta * C, row-major.
    /// `A` is `[m, k]` (or `[k, m]` when `transposeA`), `B` is `[k, n]` (or `[n, k]` when `transposeB`).
    public static func gemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
        pool: ThreadPool = .shared
    ) {
        _ = singleThreaded
        func product(m: Int, n: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
            cblas_sgemm(CblasRowMajor,
                        transposeA ? CblasTrans : CblasNoTrans,
                        transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        }
        // Split the longer side of C in multiples of 16 (OpenBLAS's register tiles divide it), one part
        // per thread; a call from inside a pool job runs its parts in turn (the pool is busy).
        let side = max(m, n)
        let parts = min(pool.threads, side / 16)
        guard parts > 1, m * n * k >= splitWork else {
            product(m: m, n: n, a: a, b: b, c: c)
            return
        }
        let tiles = (side + 15) / 16
        pool.run(tasks: parts) { part in
            let start = min(side, tiles * part / parts * 16), end = min(side, tiles * (part + 1) / parts * 16)
            guard start < end else { return }
            if m >= n {  // rows of C: rows of op(A)
                product(m: end - start, n: n, a: a + (transposeA ? start : start * lda), b: b, c: c + start * ldc)
            } else {     // columns of C: columns of op(B)
                product(m: m, n: end - start, a: a, b: b + (transposeB ? start * ldb : start), c: c + start)
            }
        }
    }
}
