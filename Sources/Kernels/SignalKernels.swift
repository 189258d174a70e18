import Dispatch
import Foundation

/// Elementwise activations and norms for the audio codec's signals (channel-major rows).
public enum SignalKernels {
    /// Snake, in place on `channels` rows of `count` samples `ld` apart:
    /// `x + sin(αx)² / (α + 1e-9)` with one α per channel (as the DAC layers compute it in float32).
    public static func snake(_ x: UnsafeMutablePointer<Float>, ld: Int, channels: Int, count: Int, alpha: UnsafePointer<Float>) {
        let body: (Int) -> Void = { c in
            let a = alpha[c]
            let inverse = 1 / (a + 1e-9)
            let row = x + c * ld
            var t = 0
            let va = SIMD16<Float>(repeating: a), vi = SIMD16<Float>(repeating: inverse)
            while t + 16 <= count {
                let raw = UnsafeMutableRawPointer(row + t)
                let v = raw.loadUnaligned(as: SIMD16<Float>.self)
                let s = sin16(va * v)
                raw.storeBytes(of: v + vi * (s * s), as: SIMD16<Float>.self)
                t += 16
            }
            while t < count {
                let s = Foundation.sin(a * row[t])
                row[t] += inverse * (s * s)
                t += 1
            }
        }
        parallel(rows: channels, work: channels * count, body)
    }

    /// ELU with α = 1, in place.
    public static func elu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count where x[i] < 0 { x[i] = expm1(x[i]) }
    }

    /// GELU with the exact error function, in place.
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let body: (Int) -> Void = { part in
            let parts = ThreadCount.current
            for i in (count * part / parts)..<(count * (part + 1) / parts) {
                let v = x[i]
                x[i] = 0.5 * v * (1 + erf(v * 0.70710678118654752))
            }
        }
        if count >= 1 << 15, ThreadCount.current > 1 {
            DispatchQueue.concurrentPerform(iterations: ThreadCount.current, execute: body)
        } else {
            for i in 0..<count { let v = x[i]; x[i] = 0.5 * v * (1 + erf(v * 0.70710678118654752)) }
        }
    }

    /// Layer norm of each of `rows` rows of `width` values (biased variance, as torch computes it).
    public static func layerNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int,
                                 weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float) {
        let body: (Int) -> Void = { r in
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
        parallel(rows: rows, work: rows * width, body)
    }

    /// sin of 16 lanes: Cody-Waite reduction by π and a minimax polynomial on [-π/2, π/2]
    /// (absolute error about 1e-7); lanes beyond ±65536 fall back to the library sin.
    @inline(__always)
    public static func sin16(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let magic: Float = 12_582_912  // 1.5 · 2^23: adding it rounds to an integer
        let q = x * (1 / Float.pi) + magic
        let n = q - magic
        var r = x - n * 3.140625
        r -= n * 0.000_967_025_756_835_937_5
        r -= n * 6.277_114_152_908_325_195_3e-07
        r -= n * 1.215_420_125_655_342_076_2e-10
        let r2 = r * r
        var p = SIMD16<Float>(repeating: 2.608_315_980_978_659_354_150_3e-06)
        p = p * r2 - 0.000_198_106_907_191_686_332_225_8
        p = p * r2 + 0.008_333_078_585_565_090_179_443_36
        p = p * r2 - 0.166_666_597_127_914_428_710_938
        let s = r + r * r2 * p
        // An odd multiple of π flips the sign; n's parity is q's lowest mantissa bit.
        let sign = (unsafeBitCast(q, to: SIMD16<UInt32>.self) & 1) &<< 31
        var result = unsafeBitCast(unsafeBitCast(s, to: SIMD16<UInt32>.self) ^ sign, to: SIMD16<Float>.self)
        let large = abs(x) .> 65536
        if any(large) {
            for i in 0..<16 where large[i] { result[i] = Foundation.sin(x[i]) }
        }
        return result
    }

    static func abs(_ v: SIMD16<Float>) -> SIMD16<Float> {
        unsafeBitCast(unsafeBitCast(v, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, to: SIMD16<Float>.self)
    }

    /// Runs `body` over rows, split across the cores when there is enough work.
    static func parallel(rows: Int, work: Int, _ body: (Int) -> Void) {
        let parts = work >= 1 << 15 ? min(ThreadCount.current, rows) : 1
        if parts <= 1 {
            for r in 0..<rows { body(r) }
        } else {
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                for r in (rows * part / parts)..<(rows * (part + 1) / parts) { body(r) }
            }
        }
    }
}
