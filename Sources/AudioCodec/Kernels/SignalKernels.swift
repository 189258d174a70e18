import CCodecKernels
import Dispatch
import Foundation
import Kernels

/// Elementwise activations and norms over the codec's signals, split across the cores when
/// there is enough work; the SIMD loops are in the CCodecKernels C target.
enum SignalKernels {
    /// Snake, in place on `channels` rows of `count` samples `ld` apart:
    /// `x + sin(αx)² / (α + 1e-9)` with one α per channel (in float32, as the DAC layers compute it).
    static func snake(_ x: UnsafeMutablePointer<Float>, ld: Int, channels: Int, count: Int, alpha: UnsafePointer<Float>) {
        snake(x, into: x, ld: ld, channels: channels, count: count, alpha: alpha)
    }

    /// Snake of `x` written to `y` (same layout).
    static func snake(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, ld: Int, channels: Int, count: Int,
                      alpha: UnsafePointer<Float>) {
        parallel(rows: channels, work: channels * count) { begin, end in
            codec_snake(x, y, ld, count, alpha, begin, end)
        }
    }

    /// ELU with α = 1, in place.
    static func elu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count where x[i] < 0 { x[i] = expm1(x[i]) }
    }

    /// GELU with the exact error function, in place.
    static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        parallel(rows: count, work: count * 8) { begin, end in codec_gelu(x, begin, end) }
    }

    /// Layer norm of each of `rows` rows of `width` values (biased variance, as torch computes it).
    static func layerNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int,
                          weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float) {
        parallel(rows: rows, work: rows * width) { begin, end in
            for r in begin..<end {
                let row = x + r * width
                var mean: Float = 0
                for i in 0..<width { mean += row[i] }
                mean /= Float(width)
                var variance: Float = 0
                for i in 0..<width { let d = row[i] - mean; variance += d * d }
                variance /= Float(width)
                let scale = 1 / (variance + epsilon).squareRoot()
                for i in 0..<width { row[i] = (row[i] - mean) * scale * weight[i] + bias[i] }
            }
        }
    }

    /// Layer norm of every column of a channel-major signal (one position's values), in place: the sums
    /// run along the rows, a position per lane.
    static func layerNorm(columnsOf x: Signal, weight: FloatBuffer, bias: FloatBuffer, epsilon: Float) {
        let n = x.count, width = Float(x.channels)
        var mean = [Float](repeating: 0, count: n), variance = [Float](repeating: 0, count: n)
        for c in 0..<x.channels {
            let row = x.row(c)
            for t in 0..<n { mean[t] += row[t] }
        }
        for t in 0..<n { mean[t] /= width }
        for c in 0..<x.channels {
            let row = x.row(c)
            for t in 0..<n { let d = row[t] - mean[t]; variance[t] += d * d }
        }
        let scale = variance.map { 1 / ($0 / width + epsilon).squareRoot() }
        Signal.rows(x.channels, work: x.channels * n) { c in
            let row = x.row(c), w = weight[c], b = bias[c]
            for t in 0..<n { row[t] = (row[t] - mean[t]) * scale[t] * w + b }
        }
    }

    /// Runs `body` over row ranges, split across `ThreadCount.current` cores when there is enough work.
    static func parallel(rows: Int, work: Int, _ body: (Int, Int) -> Void) {
        let parts = work >= 1 << 15 ? min(ThreadCount.current, rows) : 1
        if parts <= 1 {
            body(0, rows)
        } else {
            ThreadPool.shared.run(tasks: parts) { part in
                body(rows * part / parts, rows * (part + 1) / parts)
            }
        }
    }
}
