import Dispatch

/// 1-D convolutions over channel-major signals (`channels` rows of samples), as GEMMs.
///
/// Weights keep PyTorch's layout: a convolution's `[out, in, kernel]` is the row-major
/// `[out, in·kernel]` matrix whose product with the im2col matrix of the input gives the output.
public enum Convolution {
    /// Floats of scratch the im2col buffer is kept under, so a tile stays in the caches.
    static let tileFloats = 1 << 20

    /// `y[o, t] = bias[o] + Σ_i Σ_j w[o, i, j] · x[i, t·stride + j·dilation]` for `t < count`.
    ///
    /// - x: `inChannels` rows `ldx` floats apart; column 0 is the first sample output 0 reads
    ///   (the caller has put any padding in place).
    /// - y: `outChannels` rows `ldy` floats apart; with `accumulate` the result is added to them.
    public static func forward(
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        outChannels: Int, inChannels: Int, kernel: Int, stride: Int = 1, dilation: Int = 1,
        x: UnsafePointer<Float>, ldx: Int, count: Int,
        y: UnsafeMutablePointer<Float>, ldy: Int, accumulate: Bool = false
    ) {
        guard count > 0, outChannels > 0 else { return }
        if let bias {
            for o in 0..<outChannels {
                let row = y + o * ldy
                if accumulate {
                    for t in 0..<count { row[t] += bias[o] }
                } else {
                    row.update(repeating: bias[o], count: count)
                }
            }
        }
        let beta: Float = bias == nil && !accumulate ? 0 : 1
        if kernel == 1 && stride == 1 {
            BLAS.gemm(m: outChannels, n: count, k: inChannels, a: weight, lda: inChannels,
                      b: x, ldb: ldx, beta: beta, c: y, ldc: ldy)
            return
        }
        let rows = inChannels * kernel
        let tile = max(64, min(count, tileFloats / max(rows, 1)))
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: rows * tile)
        defer { columns.deallocate() }
        var start = 0
        while start < count {
            let n = min(tile, count - start)
            im2col(x: x + start * stride, ldx: ldx, inChannels: inChannels, kernel: kernel, stride: stride,
                   dilation: dilation, count: n, into: columns)
            BLAS.gemm(m: outChannels, n: n, k: rows, a: weight, lda: rows, b: columns, ldb: n,
                      beta: beta, c: y + start, ldc: ldy)
            start += n
        }
    }

    /// `columns[(i, j), t] = x[i, t·stride + j·dilation]`, rows `count` floats long.
    public static func im2col(
        x: UnsafePointer<Float>, ldx: Int, inChannels: Int, kernel: Int, stride: Int, dilation: Int,
        count: Int, into columns: UnsafeMutablePointer<Float>
    ) {
        let body: (Int) -> Void = { i in
            let source = x + i * ldx
            for j in 0..<kernel {
                let row = columns + (i * kernel + j) * count
                let from = source + j * dilation
                if stride == 1 {
                    row.update(from: from, count: count)
                } else {
                    for t in 0..<count { row[t] = from[t * stride] }
                }
            }
        }
        let parts = inChannels * kernel * count >= 1 << 18 ? min(ThreadCount.current, inChannels) : 1
        if parts <= 1 {
            for i in 0..<inChannels { body(i) }
        } else {
            ThreadPool.shared.run(tasks: parts) { part in
                for i in (inChannels * part / parts)..<(inChannels * (part + 1) / parts) { body(i) }
            }
        }
    }
}
