import CCodecKernels
import Foundation
import Kernels
import Testing

/// The codec's product kernels against their definitions in Double, on shapes that reach every edge of
/// the register tiles: more than one block of 8 rows, a reduction longer than the AVX2 tile's 128-row
/// passes and not a multiple of them, a last panel short of 32 columns, and rows of x and y wider than
/// the outputs.
@Suite struct ProductKernelTests {
    /// Deterministic values in [-1, 1].
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int(state >> 41) % 2001 - 1000) / 1000
        }
    }

    @Test(arguments: [(1, 1), (2, 3)])
    func convolutionPanelsMatchTheDefinition(stride: Int, dilation: Int) {
        let cout = 16, cin = 45, kernel = 7, count = 70
        let ldx = (count - 1) * stride + (kernel - 1) * dilation + 1, ldy = 72
        let w = Self.values(cout * cin * kernel, seed: 3), x = Self.values(cin * ldx, seed: 4)
        let bias = Self.values(cout, seed: 5)
        var packed = [Float](repeating: 0, count: w.count)
        codec_pack_rows(w, cin * kernel, cout, cin * kernel, &packed)
        var y = [Float](repeating: 0.5, count: cout * ldy)
        var scratch = [Float](repeating: 0, count: cin * kernel * 32)
        codec_conv_panels(packed, cout, cin, kernel, stride, dilation, x, ldx, &y, ldy, count, bias, 1, nil,
                          0, (count + 31) / 32, &scratch)
        var worst = 0.0
        for o in 0..<cout {
            for t in 0..<count {
                var want = 0.5 + Double(bias[o])  // accumulated onto what y held
                for c in 0..<cin {
                    for j in 0..<kernel {
                        want += Double(w[(o * cin + c) * kernel + j]) * Double(x[c * ldx + t * stride + j * dilation])
                    }
                }
                worst = max(worst, abs(want - Double(y[o * ldy + t])))
            }
            let untouched = y[o * ldy + count..<(o + 1) * ldy].allSatisfy { $0 == 0.5 }
            #expect(untouched)
        }
        #expect(worst < 1e-4, "largest error \(worst)")
    }

    /// The AMX tile kernel against the definition in Double: a whole panel of 128 positions and a last one
    /// short of 32 (of 16 or fewer for 135 and 6, which take the 16-position block), two blocks of 32 rows, dilated taps, inputs through snake, bias, and accumulation onto what y held. Its three bf16
    /// products must be as exact as Float32 (measured 1.5e-6 of sum |w x|); leaving out x's low part
    /// gives 4.5e-4.
    @Test(.enabled(if: ThreadPool.hasTiles, "the CPU has no AMX tiles (or Linux did not grant them)"),
          arguments: [(7, 3, false, 150), (2, 1, false, 150), (1, 1, true, 150), (7, 9, true, 135), (2, 1, false, 6)])
    func tilesMatchTheDefinition(kernel: Int, dilation: Int, snake: Bool, count: Int) {
        let cout = 64, cin = 64
        let ldx = count + (kernel - 1) * dilation + 5, ldy = 155
        let w = Self.values(cout * cin * kernel, seed: 6), x = Self.values(cin * ldx, seed: 7).map { $0 * 3 }
        let bias = Self.values(cout, seed: 8), alpha = Self.values(cin, seed: 9).map { 1 + abs($0) }
        var packed = [UInt16](repeating: 0, count: codec_amx_packed_count(cout, cin, kernel))
        codec_amx_pack(w, cout, cin, kernel, &packed)
        var y = [Float](repeating: 0.5, count: cout * ldy)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: codec_amx_scratch_bytes(cin, kernel, dilation), alignment: 64)
        defer { scratch.deallocate() }
        codec_conv_amx(packed, cin, kernel, dilation, x, ldx, &y, ldy, count, bias, 1, snake ? alpha : nil,
                       0, (count + 127) / 128, 0, cout, scratch)
        var worst = 0.0
        for o in 0..<cout {
            for t in 0..<count {
                var want = 0.5 + Double(bias[o]), magnitude = abs(want)
                for c in 0..<cin {
                    for j in 0..<kernel {
                        var v = Double(x[c * ldx + t + j * dilation])
                        if snake { let a = Double(alpha[c]), s = sin(a * v); v += s * s / (a + 1e-9) }
                        let product = Double(w[(o * cin + c) * kernel + j]) * v
                        want += product
                        magnitude += abs(product)
                    }
                }
                worst = max(worst, abs(want - Double(y[o * ldy + t])) / magnitude)
            }
            let untouched = y[o * ldy + count..<(o + 1) * ldy].allSatisfy { $0 == 0.5 }
            #expect(untouched)
        }
        #expect(worst < 1e-5, "largest error \(worst) of sum |w x|")
    }

    /// A strided convolution runs on the tiles as a stride-1 one over its input's phases: each phase row holds
    /// every `phases`-th sample from its offset, zero from the last sample the outputs read on (what lies past
    /// it in x's rows is not the signal's).
    @Test func phasesSplitIntoChannels() {
        let channels = 3, phases = 2, ldx = 20, available = 15, columns = 9
        let x = (0..<channels * ldx).map { Float($0) }
        var y = [Float](repeating: -1, count: channels * phases * columns)
        codec_split_phases(x, ldx, available, phases, &y, columns, columns, 0, channels)
        for c in 0..<channels {
            for r in 0..<phases {
                for m in 0..<columns {
                    let t = m * phases + r
                    #expect(y[(c * phases + r) * columns + m] == (t < available ? x[c * ldx + t] : 0))
                }
            }
        }
    }

    /// GELU with the error function (HuBERT's, as torch's exact GELU) against its value in Double, over the
    /// vector loop and the scalar tail: within 2e-6 relative for |v| <= 5, and within 1e-6 |v| everywhere.
    /// (1 + erff(v/√2) in Float32, as before, was 4% off at v = -5: a difference of numbers near 1.)
    @Test func geluFollowsTheErrorFunction() {
        let inputs = (0..<4001).map { Float($0 - 2000) / 100 } + [0, 1e-30, -1e-30, 3e4, -3e4, 1e-4, -1e-4, 7]
        var y = inputs
        codec_gelu(&y, 0, y.count)
        var worstRelative = 0.0, worstAbsolute = 0.0
        for (v, got) in zip(inputs, y) {
            let want = 0.5 * Double(v) * erfc(-Double(v) / 2.0.squareRoot())
            if abs(v) <= 5 && want != 0 { worstRelative = max(worstRelative, abs(Double(got) - want) / abs(want)) }
            worstAbsolute = max(worstAbsolute, abs(Double(got) - want) / max(1, abs(Double(v))))
        }
        #expect(y[4001] == 0)
        #expect(worstRelative < 2e-6, "largest relative error \(worstRelative)")
        #expect(worstAbsolute < 1e-6, "largest error \(worstAbsolute) of max(1, |v|)")
    }
}
