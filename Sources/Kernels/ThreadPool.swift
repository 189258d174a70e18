import CKernels
import Synchronization

/// Worker threads that live as long as the pool, so splitting one kernel call across cores costs
/// microseconds rather than a thread start. The calling thread takes part in every job.
public final class ThreadPool: @unchecked Sendable {
    private let pool: OpaquePointer
    /// The C pool runs one job at a time; a caller that finds it busy runs its tasks itself.
    private let busy = Atomic<Bool>(false)

    /// The pool kernels use unless given another; sized by `ThreadCount.current` when first used.
    nonisolated(unsafe) public static var shared = ThreadPool(threads: ThreadCount.current)

    /// Replaces the shared pool (for `--threads N`).
    public static func setSharedThreads(_ count: Int) {
        ThreadCount.current = max(1, count)
        if shared.threads != ThreadCount.current { shared = ThreadPool(threads: ThreadCount.current) }
    }

    public init(threads: Int) {
        pool = ck_pool_create(max(1, threads))
    }

    deinit { ck_pool_destroy(pool) }

    public var threads: Int { Int(ck_pool_threads(pool)) }

    /// Runs `body(task)` for every task in `0..<tasks` across the pool and returns when all are done.
    public func run(tasks: Int, _ body: (Int) -> Void) {
        guard tasks > 0 else { return }
        if tasks == 1 || threads == 1 {
            for t in 0..<tasks { body(t) }
            return
        }
        withoutActuallyEscaping(body) { escaping in
            var job = escaping
            withUnsafeMutablePointer(to: &job) { context in
                run(tasks: tasks, context: context) { context, task, _ in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(task))
                }
            }
        }
    }

    /// Runs `function(context, task, tasks)` for every task on the pool, or on the calling thread when
    /// another thread's job holds the pool (the model and the codec may run at once; neither should
    /// wait for the other). Takes a C function and a context pointer so that callers with a job
    /// struct allocate nothing.
    func run(tasks: Int, context: UnsafeMutableRawPointer, _ function: ck_task_fn) {
        guard tasks > 1, threads > 1,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for t in 0..<tasks { function(context, t, tasks) }
            return
        }
        ck_pool_run(pool, function, context, tasks)
        busy.store(false, ordering: .releasing)
    }

    /// Runs `function(context, begin, end)` over rows `0..<rows` in whole `granule`s, balanced across
    /// the pool as it runs (`ck_pool_run_rows`), or all on the calling thread when another thread's job
    /// holds the pool.
    func runRows(_ rows: Int, granule: Int, context: UnsafeMutableRawPointer, _ function: ck_rows_fn) {
        guard rows > 0 else { return }
        guard threads > 1, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            function(context, 0, rows)
            return
        }
        ck_pool_run_rows(pool, function, context, rows, granule)
        busy.store(false, ordering: .releasing)
    }

    /// Runs `body(range)` over rows `0..<rows` in whole `granule`s, balanced across the pool as it runs.
    public func runRows(_ rows: Int, granule: Int, _ body: (Range<Int>) -> Void) {
        withoutActuallyEscaping(body) { escaping in
            var job = escaping
            withUnsafeMutablePointer(to: &job) { context in
                runRows(rows, granule: granule, context: context) { context, begin, end in
                    context!.assumingMemoryBound(to: ((Range<Int>) -> Void).self).pointee(Int(begin)..<Int(end))
                }
            }
        }
    }

    /// Splits `0..<count` into one contiguous range per thread (fewer for small counts).
    public func split(_ count: Int, minimumPerTask: Int = 1, _ body: (Range<Int>) -> Void) {
        let parts = max(1, min(threads, count / max(1, minimumPerTask)))
        run(tasks: parts) { part in
            body(count * part / parts ..< count * (part + 1) / parts)
        }
    }

    /// The read bandwidth of this machine in GB/s with this pool's threads, streaming `bytes` once per try.
    public func readBandwidth(bytes: Int = 1 << 30, tries: Int = 5) -> Double {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 1, count: bytes)
        return ck_read_bandwidth(pool, buffer, bytes, Int32(tries))
    }

    /// The instruction set the kernels chose on this machine.
    public static var instructionSet: String { String(cString: ck_isa_name()) }

    /// Whether AMX tiles serve here: the CPU has them, Linux granted them, and `HIGGS_KERNELS` does not
    /// hold the kernels below AVX-512 VNNI.
    public static var hasTiles: Bool { ck_amx() != 0 }
}
