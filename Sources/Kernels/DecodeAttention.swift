import CKernels

/// Attention of a single new position over the KV cache (every decode step): each query head's
/// scores, softmax and weighted values in one fused kernel, the kv heads (each with its group of query
/// heads) split over the thread pool.
public enum DecodeAttention {
    /// - query: `[heads][headDim]`, already rotated.
    /// - keys, values: `[kvHeads][capacity][headDim]` elements of `precision`; the first `keyCount` positions count.
    /// - keyScales, valueScales: for `.int8`, each row's scale, `[kvHeads][capacity]`.
    /// - output: `[heads][headDim]`.
    /// - scores: `scoreCapacity` floats of scratch, at least `keyCount · heads / kvHeads` (each task
    ///   takes that much).
    public static func attend(
        query: UnsafePointer<Float>, keys: UnsafeRawPointer, values: UnsafeRawPointer, precision: KVPrecision = .float32,
        keyScales: UnsafePointer<Float>? = nil, valueScales: UnsafePointer<Float>? = nil,
        output: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>, scoreCapacity: Int,
        heads: Int, kvHeads: Int, headDim: Int, capacity: Int, keyCount: Int, scale: Float
    ) {
        precondition(precision != .int8 || (keyScales != nil && valueScales != nil), "an int8 cache needs its row scales")
        var job = Job(query: query, keys: keys, values: values, precision: precision, keyScales: keyScales, valueScales: valueScales,
                      output: output, scores: scores, heads: heads,
                      group: heads / kvHeads, headDim: headDim, capacity: capacity, keyCount: keyCount, scale: scale)
        let pool = ThreadPool.shared
        // Splitting pays once a head's work outweighs handing it out.
        let perTask = keyCount * job.group
        precondition(scoreCapacity >= perTask, "attention scratch holds \(scoreCapacity) scores, \(perTask) needed")
        let tasks = keyCount * headDim * heads < 1 << 14 ? 1 : max(1, min(pool.threads, kvHeads, scoreCapacity / perTask))
        withUnsafeMutablePointer(to: &job) { context in
            pool.run(tasks: tasks, context: context) { context, task, tasks in
                let job = context!.assumingMemoryBound(to: Job.self).pointee
                let kvHeads = job.heads / job.group
                let g0 = kvHeads * task / tasks, g1 = kvHeads * (task + 1) / tasks
                let scores = job.scores + task * job.keyCount * job.group
                switch job.precision {
                case .float32:
                    ck_attend_kv_heads(job.query, job.keys.assumingMemoryBound(to: Float.self),
                                       job.values.assumingMemoryBound(to: Float.self), job.output, scores,
                                       job.group, job.headDim, job.capacity, job.keyCount, job.scale, g0, g1)
                case .float16:
                    ck_attend_kv_heads_f16(job.query, job.keys.assumingMemoryBound(to: UInt16.self),
                                           job.values.assumingMemoryBound(to: UInt16.self), job.output, scores,
                                           job.group, job.headDim, job.capacity, job.keyCount, job.scale, g0, g1)
                case .int8:
                    ck_attend_kv_heads_i8(job.query, job.keys.assumingMemoryBound(to: Int8.self),
                                          job.values.assumingMemoryBound(to: Int8.self), job.keyScales, job.valueScales,
                                          job.output, scores, job.group, job.headDim, job.capacity, job.keyCount, job.scale, g0, g1)
                }
            }
        }
    }

    private struct Job {
        let query: UnsafePointer<Float>
        let keys: UnsafeRawPointer
        let values: UnsafeRawPointer
        let precision: KVPrecision
        let keyScales: UnsafePointer<Float>?
        let valueScales: UnsafePointer<Float>?
        let output: UnsafeMutablePointer<Float>
        let scores: UnsafeMutablePointer<Float>
        let heads: Int
        let group: Int
        let headDim: Int
        let capacity: Int
        let keyCount: Int
        let scale: Float
    }
}

/// How a KV cache stores keys and values.
public enum KVPrecision: Sendable {
    case float32
    /// IEEE half: at a few hundred positions and more the decode step's attention is bound by reading
    /// the cache, and halves read half.
    case float16
    /// int8 with one Float32 scale per row (a head's keys or values at one position, max |x| / 127):
    /// a quarter of Float32's bytes, for long contexts where the cache is a large part of what a step reads.
    case int8

    /// Bytes per element (int8 rows also keep a 4-byte scale each).
    public var bytes: Int {
        switch self {
        case .float32: return 4
        case .float16: return 2
        case .int8: return 1
        }
    }
}
