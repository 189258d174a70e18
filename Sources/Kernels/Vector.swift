import CKernels
import Foundation

/// Element-wise and reduction kernels over Float32 rows, used between the matrix products.
///
/// All of them work in place or into caller-provided memory: nothing here allocates.
public enum Vector {
    /// `y = weight * (x / sqrt(mean(x^2) + epsilon))`, the RMSNorm of one row, in Float32 throughout.
    /// `y` may be `x`.
    public static func rmsNorm(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, epsilon: Float, count n: Int,
        into y: UnsafeMutablePointer<Float>
    ) {
        let meanSquare = sumOfSquares(x, n) / Float(n)
        let scale = 1 / (meanSquare + epsilon).squareRoot()
        var i = 0
        let rx = UnsafeRawPointer(x), rw = UnsafeRawPointer(weight), ry = UnsafeMutableRawPointer(y)
        while i + 16 <= n {
            let v = rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self) * scale
            ry.storeBytes(of: rw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self) * v,
                          toByteOffset: 4 * i, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { y[i] = weight[i] * (x[i] * scale); i += 1 }
    }

    /// Sum of squares with several accumulators.
    @inline(__always)
    public static func sumOfSquares(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        var i = 0
        let rx = UnsafeRawPointer(x)
        while i + 32 <= n {
            let a = rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            let b = rx.loadUnaligned(fromByteOffset: 4 * i + 64, as: SIMD16<Float>.self)
            acc0 += a * a
            acc1 += b * b
            i += 32
        }
        var sum = (acc0 + acc1).sum()
        while i < n { sum += x[i] * x[i]; i += 1 }
        return sum
    }

    /// `y += x`.
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        while i + 16 <= n {
            let sum = ry.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
                + rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            ry.storeBytes(of: sum, toByteOffset: 4 * i, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { y[i] += x[i]; i += 1 }
    }

    /// `y += a * x`.
    public static func addScaled(_ x: UnsafePointer<Float>, _ a: Float, into y: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        while i + 16 <= n {
            let sum = ry.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
                + a * rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            ry.storeBytes(of: sum, toByteOffset: 4 * i, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { y[i] += a * x[i]; i += 1 }
    }

    /// `x *= a`.
    public static func scale(_ x: UnsafeMutablePointer<Float>, by a: Float, count n: Int) {
        for i in 0..<n { x[i] *= a }
    }

    /// `gate = silu(gate) * up`, the SwiGLU activation (`silu(g) = g / (1 + exp(-g))`).
    public static func swiGLU(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count n: Int) {
        ck_swiglu(gate, up, n)
    }

    /// Softmax of one row in place with the attention kernels' vectorised exponential (relative error
    /// about 2e-7): the prefill's attention weights (libm's `exp` per score was 6% of a 1,000-position prefill).
    public static func attentionSoftmax(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        ck_softmax(x, n)
    }

    /// Softmax of one row in place: `exp(x - max) / sum`, with libm's `exp` (the sampler's probabilities).
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count n: Int) {
        guard n > 0 else { return }
        var top = x[0]
        for i in 1..<n where x[i] > top { top = x[i] }
        var sum: Float = 0
        for i in 0..<n {
            let e = Foundation.exp(x[i] - top)
            x[i] = e
            sum += e
        }
        let inverse = 1 / sum
        for i in 0..<n { x[i] *= inverse }
    }

    /// The index of the largest value; the first one on ties (as `torch.argmax`).
    public static func argmax(_ x: UnsafePointer<Float>, count n: Int) -> Int {
        var best = 0
        var top = x[0]
        for i in 1..<n where x[i] > top {
            top = x[i]
            best = i
        }
        return best
    }
}
