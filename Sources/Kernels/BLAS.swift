import CKernels
import COpenBLAS
import Foundation

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

/// OpenBLAS picks its kernels for the CPU once, when the library loads. A build older than the CPU takes it
/// for an old one: Debian 12's 0.3.21 runs Intel's Emerald Rapids on its Prescott (SSE3) kernels, at a
/// seventh of the speed in sgemm (27 against 181 GFLOP/s) and a third in a bf16 prefill. Its choice can be
/// overridden only by `$OPENBLAS_CORETYPE` at that load, so the program starts itself again with it set.
extension BLAS {
    /// The kernels OpenBLAS runs on, by its name for a CPU family ("Prescott", "Haswell", "SkylakeX").
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// OpenBLAS's x86 families by the widest vectors their kernels use (1: SSE or AVX, 2: AVX2 and FMA,
    /// 3: AVX-512), as `ck_machine_isa` ranks the machine (2: AVX2, 3 to 5: AVX-512). A family not here
    /// (another architecture's, or one newer than this list) is left alone.
    private static let familyLevels: [String: Int] = {
        var levels: [String: Int] = [:]
        for name in ["Katmai", "Coppermine", "Northwood", "Prescott", "Banias", "Atom", "Core2", "Penryn", "Dunnington",
                     "Nehalem", "Athlon", "Opteron", "Opteron_SSE3", "Barcelona", "Nano", "Sandybridge", "Bobcat",
                     "Bulldozer", "Piledriver", "Steamroller"] { levels[name] = 1 }
        for name in ["Haswell", "Zen"] { levels[name] = 2 }
        for name in ["SkylakeX", "Cooperlake", "SapphireRapids"] { levels[name] = 3 }
        return levels
    }()

    /// The family to ask OpenBLAS for where the one it chose (`chosen`) uses narrower vectors than the
    /// machine's kernel level allows; nil where its choice is as wide, or a family this list does not rank.
    public static func widerCore(than chosen: String, machineLevel: Int) -> String? {
        guard let have = familyLevels[chosen] else { return nil }
        let best = machineLevel >= 3 ? (3, "SkylakeX") : machineLevel == 2 ? (2, "Haswell") : (0, "")
        return best.0 > have ? best.1 : nil
    }

    /// The family this process should ask for, when `$OPENBLAS_CORETYPE` is unset (a user's own choice stands).
    public static var preferredCore: String? {
        guard getenv("OPENBLAS_CORETYPE") == nil else { return nil }
        return widerCore(than: coreName, machineLevel: machineLevel)
    }

    /// The widest kernels this machine can run, as `ck_machine_isa` ranks them (whatever `$HIGGS_KERNELS` says).
    public static var machineLevel: Int { Int(ck_machine_isa()) }

    /// Replaces this process with itself, same arguments, under `$OPENBLAS_CORETYPE=preferredCore`, where
    /// there is a preferred core; returns otherwise, or if the exec fails (the process goes on as it is).
    /// Call first thing in `main`, before any thread or terminal state exists.
    public static func restartOnPreferredCore() {
        guard let core = preferredCore else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        unsetenv("OPENBLAS_CORETYPE")
    }
}
