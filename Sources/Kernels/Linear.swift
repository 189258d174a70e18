import CKernels

/// `y = x W^T`: the product of a batch of row vectors with a weight matrix of any storage precision.
public enum Linear {
    /// Rows of a low-precision weight converted to Float32 at a time in the batched path.
    static let tileRows = 256

    /// Computes `output[t, r] = sum_c input[t, c] * weight[r, c]` for `t < count`.
    ///
    /// - input: `[count, weight.cols]`, row-major.
    /// - output: `[count, weight.rows]`, row-major.
    /// - scratch: at least `scratchCount(weight, count)` floats (unused for one row or Float32 weights).
    ///
    /// One row is a matrix-vector product read straight from the stored precision; several rows go
    /// through OpenBLAS sgemm, converting the weight a tile at a time so no full Float32 copy is made.
    public static func apply(
        _ weight: Matrix, input: UnsafePointer<Float>, count: Int,
        output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>? = nil
    ) {
        guard count > 0, weight.rows > 0 else { return }
        if count == 1 {
            matrixVector(weight, input, output)
            return
        }
        if case .f32(let w) = weight.elements {
            BLAS.gemm(transposeB: true, m: count, n: weight.rows, k: weight.cols,
                      a: input, lda: weight.cols, b: w, ldb: weight.cols, c: output, ldc: weight.rows)
            return
        }
        let tile = scratch ?? UnsafeMutablePointer<Float>.allocate(capacity: scratchCount(weight, count: count))
        defer { if scratch == nil { tile.deallocate() } }
        var start = 0
        while start < weight.rows {
            let end = min(start + tileRows, weight.rows)
            weight.copyRows(start..<end, into: tile)
            BLAS.gemm(transposeB: true, m: count, n: end - start, k: weight.cols,
                      a: input, lda: weight.cols, b: tile, ldb: weight.cols, c: output + start, ldc: weight.rows)
            start = end
        }
    }

    /// Floats of scratch `apply` needs for this weight and batch size.
    public static func scratchCount(_ weight: Matrix, count: Int) -> Int {
        if count <= 1 { return 0 }
        if case .f32 = weight.elements { return 0 }
        return min(tileRows, weight.rows) * weight.cols
    }

    /// `y = W x` for one vector, split over the cores by rows on the shared thread pool.
    public static func matrixVector(_ weight: Matrix, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        let rows = weight.rows
        let pool = ThreadPool.shared
        let parts = rows * weight.cols < 1 << 16 ? 1 : min(pool.threads, rows)
        if parts == 1 {
            dotRows(weight, x, y, 0..<rows)
            return
        }
        // The job is a plain struct on the stack handed to the C pool: no closure context, no allocation.
        var job = MatrixVectorJob(weight: weight, x: x, y: y)
        withUnsafeMutablePointer(to: &job) { context in
            pool.run(tasks: parts, context: context) { context, task, tasks in
                let job = context!.assumingMemoryBound(to: MatrixVectorJob.self).pointee
                let rows = job.weight.rows
                Linear.dotRows(job.weight, job.x, job.y, rows * task / tasks..<rows * (task + 1) / tasks)
            }
        }
    }

    private struct MatrixVectorJob {
        let weight: Matrix
        let x: UnsafePointer<Float>
        let y: UnsafeMutablePointer<Float>
    }

    fileprivate static func dotRows(_ weight: Matrix, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ range: Range<Int>) {
        let cols = weight.cols
        switch weight.elements {
        case .f32(let w):
            for r in range { y[r] = Dot.f32(w + r * cols, x, cols) }
        case .bf16(let w):
            for r in range { y[r] = Dot.bf16(w + r * cols, x, cols) }
        case .f16(let w):
            for r in range { y[r] = Dot.f16(w + r * cols, x, cols) }
        }
    }
}

/// The number of threads kernels split work over.
public enum ThreadCount {
    nonisolated(unsafe) public static var current: Int = defaultCount

    public static var defaultCount: Int {
        max(1, min(System.physicalCores, 64))
    }
}

/// Dot products of a stored row with a Float32 vector.
public enum Dot {
    @inline(__always)
    public static func f32(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        var i = 0
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        while i + 32 <= n {
            acc0 += ra.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self) * rb.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            acc1 += ra.loadUnaligned(fromByteOffset: 4 * i + 64, as: SIMD16<Float>.self) * rb.loadUnaligned(fromByteOffset: 4 * i + 64, as: SIMD16<Float>.self)
            i += 32
        }
        var sum = (acc0 + acc1).sum()
        while i < n { sum += a[i] * b[i]; i += 1 }
        return sum
    }

    @inline(__always)
    public static func bf16(_ a: UnsafePointer<UInt16>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        var i = 0
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        while i + 32 <= n {
            let w0 = unsafeBitCast(SIMD16<UInt32>(truncatingIfNeeded: ra.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<UInt16>.self)) &<< 16, to: SIMD16<Float>.self)
            let w1 = unsafeBitCast(SIMD16<UInt32>(truncatingIfNeeded: ra.loadUnaligned(fromByteOffset: 2 * i + 32, as: SIMD16<UInt16>.self)) &<< 16, to: SIMD16<Float>.self)
            acc0 += w0 * rb.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            acc1 += w1 * rb.loadUnaligned(fromByteOffset: 4 * i + 64, as: SIMD16<Float>.self)
            i += 32
        }
        var sum = (acc0 + acc1).sum()
        while i < n { sum += Convert.bf16ToFloat(a[i]) * b[i]; i += 1 }
        return sum
    }

    @inline(__always)
    public static func f16(_ a: UnsafePointer<UInt16>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var sum: Float = 0
        for i in 0..<n { sum += Float(Float16(bitPattern: a[i])) * b[i] }
        return sum
    }
}
