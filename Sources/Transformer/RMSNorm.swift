import Kernels

/// Root-mean-square normalisation with a learned scale, computed in Float32 as the reference does:
/// `weight * (x / sqrt(mean(x^2) + eps))`.
struct RMSNorm {
    let weight: FloatBuffer
    let epsilon: Float

    var width: Int { weight.count }

    /// Normalises `rows` rows of `x` (each `width` wide) into `y`; `y` may be `x`.
    func apply(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int = 1) {
        let w = width
        for r in 0..<rows {
            Vector.rmsNorm(x + r * w, weight: weight.pointer, epsilon: epsilon, count: w, into: y + r * w)
        }
    }
}
