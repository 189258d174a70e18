import CKernels
import Foundation
import Testing
import Kernels

/// `Linear.apply` in every storage precision, for one row (matrix-vector) and for batches (tiled sgemm,
/// with more weight rows than one tile), against a plain double-precision loop over the same values.
@Suite struct LinearTests {
    enum Precision: String, CaseIterable { case f32, bf16, f16 }

    /// A weight matrix holding `values` rounded to `precision`, and the rounded values as Float.
    static func matrix(_ values: [Float], rows: Int, cols: Int, _ precision: Precision) -> (Matrix, [Float], AnyObject) {
        switch precision {
        case .f32:
            return (Matrix(rows: rows, cols: cols, values: values), values, FloatBuffer(count: 0))
        case .bf16, .f16:
            let bits = UnsafeMutablePointer<UInt16>.allocate(capacity: values.count)
            for (i, v) in values.enumerated() {
                bits[i] = precision == .bf16 ? Convert.floatToBF16(v) : Float16(v).bitPattern
            }
            let box = Storage(bits)
            let rounded = (0..<values.count).map {
                precision == .bf16 ? Convert.bf16ToFloat(bits[$0]) : Float(Float16(bitPattern: bits[$0]))
            }
            let elements: Matrix.Elements = precision == .bf16 ? .bf16(UnsafePointer(bits)) : .f16(UnsafePointer(bits))
            return (Matrix(rows: rows, cols: cols, elements: elements, owner: box), rounded, box)
        }
    }

    final class Storage {
        let pointer: UnsafeMutablePointer<UInt16>
        init(_ pointer: UnsafeMutablePointer<UInt16>) { self.pointer = pointer }
        deinit { pointer.deallocate() }
    }

    static func random(_ n: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
        }
    }

    @Test(arguments: Precision.allCases, [1, 3, 37])
    func matchesAPlainLoop(_ precision: Precision, count: Int) {
        let rows = 300, cols = 70  // more rows than one 256-row tile; columns not a multiple of the SIMD width
        let (weight, w, owner) = Self.matrix(Self.random(rows * cols, seed: 1), rows: rows, cols: cols, precision)
        let x = Self.random(count * cols, seed: 2)
        var y = [Float](repeating: .nan, count: count * rows)
        var scratch = [Float](repeating: 0, count: Linear.scratchCount(weight, count: count))
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                scratch.withUnsafeMutableBufferPointer { sp in
                    Linear.apply(weight, input: xp.baseAddress!, count: count, output: yp.baseAddress!, scratch: sp.baseAddress)
                }
            }
        }
        var worst: Double = 0
        for t in 0..<count {
            for r in 0..<rows {
                var expected: Double = 0
                for c in 0..<cols { expected += Double(w[r * cols + c]) * Double(x[t * cols + c]) }
                worst = max(worst, abs(Double(y[t * rows + r]) - expected))
            }
        }
        #expect(worst < 1e-4, "\(precision) x \(count): worst error \(worst)")
        withExtendedLifetime(owner) {}
    }

    /// Batches in the shapes the AMX tiles take (rows and columns in whole tiles; more columns than one
    /// block of 512; whole pairs of 16 positions, a single 16, and a part of 16) are as exact as Float32:
    /// within 2e-7 of the sum of |w x| (here: 7.7e-8 on tiles, 4.0e-8 by sgemm; splitting each input into
    /// only two bf16 parts rather than three misses it, 3.6e-7). Where the machine has no tiles, this checks
    /// the sgemm path (and for 2 inputs, the matrix-vector kernels row by row).
    @Test(arguments: [2, 16, 17, 45, 64])
    func batchesOnTilesAreAsExactAsFloat32(count: Int) {
        let rows = 320, cols = 1056
        let (weight, w, owner) = Self.matrix(Self.random(rows * cols, seed: 3), rows: rows, cols: cols, .bf16)
        let x = Self.random(count * cols, seed: 4).map { $0 * 3 }
        let y = FloatBuffer([Float](repeating: .nan, count: count * rows))
        let scratch = FloatBuffer(count: Linear.scratchCount(weight, count: count))
        x.withUnsafeBufferPointer { Linear.apply(weight, input: $0.baseAddress!, count: count, output: y.pointer, scratch: scratch.pointer) }
        var worst: Double = 0
        for t in 0..<count {
            for r in 0..<rows {
                var expected: Double = 0, magnitude: Double = 0
                for c in 0..<cols {
                    let product = Double(w[r * cols + c]) * Double(x[t * cols + c])
                    expected += product
                    magnitude += abs(product)
                }
                worst = max(worst, abs(Double(y.pointer[t * rows + r]) - expected) / magnitude)
            }
        }
        #expect(worst < 2e-7, "\(count) inputs\(Linear.onTiles(weight) ? " on tiles" : ""): worst error \(worst) of the sum of |w x|")
        withExtendedLifetime(owner) {}
    }

    @Test func copyRowsConvertsEachPrecision() {
        for precision in Precision.allCases {
            let (weight, w, owner) = Self.matrix(Self.random(12, seed: 3), rows: 4, cols: 3, precision)
            #expect(weight.row(2) == Array(w[6..<9]))
            withExtendedLifetime(owner) {}
        }
    }
}

@Suite struct VectorTests {
    @Test func rmsNormMatchesItsDefinition() {
        let x = LinearTests.random(50, seed: 4), w = LinearTests.random(50, seed: 5)
        var y = [Float](repeating: 0, count: 50)
        Vector.rmsNorm(x, weight: w, epsilon: 1e-5, count: 50, into: &y)
        let mean = x.map { Double($0) * Double($0) }.reduce(0, +) / 50
        for i in 0..<50 {
            let expected = Double(w[i]) * Double(x[i]) / (mean + 1e-5).squareRoot()
            #expect(abs(Double(y[i]) - expected) < 1e-6)
        }
    }

    @Test func softmaxSwiGLUAndArgmax() {
        var s: [Float] = [1, 2, 3, 3]
        Vector.softmax(&s, count: 4)
        let e = [1.0, 2, 3, 3].map { Foundation.exp($0 - 3) }
        for i in 0..<4 { #expect(abs(Double(s[i]) - e[i] / e.reduce(0, +)) < 1e-7) }
        #expect(Vector.argmax([1, 5, 2, 5], count: 4) == 1)

        var gate: [Float] = [-2, 0, 1.5], up: [Float] = [3, 4, -2]
        Vector.swiGLU(gate: &gate, up: up, count: 3)
        for (i, g) in [-2.0, 0, 1.5].enumerated() {
            #expect(abs(Double(gate[i]) - g / (1 + Foundation.exp(-g)) * Double(up[i])) < 1e-6)
        }
    }
}

/// SwiGLU over the whole range a float takes (the vectorised exponential is clamped at both ends) at
/// every instruction-set level, against the definition in Double.
@Suite struct SwiGLUTests {
    @Test func matchesTheDefinitionAtEveryLevel() {
        var gates: [Float] = [-200, -100, -88.5, -87, -30, -10, -1, -0.25, 0, 1e-8, 0.5, 1, 7, 20, 86, 87.5, 88, 90, 300]
        gates += LinearTests.random(77, seed: 9).map { $0 * 12 }  // 96 values: six vectors of 16, no tail
        gates.append(3.25)                                          // and a scalar tail
        let up = LinearTests.random(gates.count, seed: 10)
        for level in CKernelsTests.levels {
            var y = gates
            ck_set_isa(level)
            Vector.swiGLU(gate: &y, up: up, count: y.count)
            ck_set_isa(9)
            for (i, g) in gates.enumerated() {
                let want = Double(g) / (1 + Foundation.exp(-Double(g))) * Double(up[i])
                #expect(abs(Double(y[i]) - want) <= 1e-6 * max(1, abs(want)), "level \(level), g = \(g): \(y[i]) vs \(want)")
            }
        }
    }
}

/// Quantized matrices through `Linear.apply`: a batch gives what one product per row gives, the rows of
/// a matrix view are the matrix's rows, and `copyRows` returns the dequantized weights (narrow rows are
/// padded to a whole group inside, and must not show it).
@Suite struct QuantizedLinearTests {
    @Test(arguments: Quantization.Format.allCases, [70, 1024])
    func batchesEqualSingleRowsAndViewsEqualRows(_ format: Quantization.Format, cols: Int) {
        let rows = 33
        let source = Matrix(rows: rows, cols: cols, values: LinearTests.random(rows * cols, seed: 5))
        let weight = Quantization.quantize(source, format: format)
        let count = 6
        let x = LinearTests.random(count * cols, seed: 6)
        func apply(_ m: Matrix, _ input: UnsafePointer<Float>, _ n: Int) -> [Float] {
            var y = [Float](repeating: .nan, count: n * m.rows)
            var scratch = [Float](repeating: 0, count: Linear.scratchCount(m, count: n))
            y.withUnsafeMutableBufferPointer { yp in
                scratch.withUnsafeMutableBufferPointer { Linear.apply(m, input: input, count: n, output: yp.baseAddress!, scratch: $0.baseAddress) }
            }
            return y
        }
        x.withUnsafeBufferPointer { xp in
            let batch = apply(weight, xp.baseAddress!, count)
            for t in 0..<count {
                let one = apply(weight, xp.baseAddress! + t * cols, 1)
                let scale = one.map(abs).max()!
                #expect(zip(batch[t * rows..<(t + 1) * rows], one).allSatisfy { abs($0 - $1) <= 1e-5 * scale })
            }
            // Rows 10..<20 as a matrix of their own multiply like those rows of the whole.
            let view = apply(weight.rows(10..<20), xp.baseAddress!, 1)
            let whole = apply(weight, xp.baseAddress!, 1)
            #expect(view == Array(whole[10..<20]))
        }
        // Dequantized rows are within half a quantization step of the source (a whole one at q6 and q4's clipped ends).
        var back = [Float](repeating: .nan, count: rows * cols)
        back.withUnsafeMutableBufferPointer { weight.copyRows(0..<rows, into: $0.baseAddress!) }
        let values = LinearTests.random(rows * cols, seed: 5)
        let step = 1 / Float((1 << (format.rawValue - 1)) - 1)  // 1/127, 1/31, 1/7
        #expect(zip(back, values).allSatisfy { abs($0 - $1) <= step * 1.02 })
    }

    /// A batch in the shape the AMX int8 tiles take (rows in 16s) gives what one product per row gives, through
    /// the tiles where the machine has them and through the VNNI kernels with the calling thread held to level 4
    /// (the choice of path is the caller's); rows narrower than a group (70 columns) are padded inside.
    @Test(arguments: Quantization.Format.allCases, [70, 1536])
    func batchesOnIntegerTilesEqualSingleRows(_ format: Quantization.Format, cols: Int) {
        let rows = 48, count = 37
        let weight = Quantization.quantize(Matrix(rows: rows, cols: cols, values: LinearTests.random(rows * cols, seed: 11)),
                                           format: format)
        let x = FloatBuffer(LinearTests.random(count * cols, seed: 12))
        let scratch = FloatBuffer(count: Linear.scratchCount(weight, count: count))
        let one = FloatBuffer(count: count * rows)
        for t in 0..<count { Linear.apply(weight, input: x.pointer + t * cols, count: 1, output: one.pointer + t * rows, scratch: scratch.pointer) }
        for level: Int32 in [9, 4] {
            ck_set_isa(level)
            defer { ck_set_isa(9) }
            let batch = FloatBuffer([Float](repeating: .nan, count: count * rows))
            Linear.apply(weight, input: x.pointer, count: count, output: batch.pointer, scratch: scratch.pointer)
            let scale = one.array.map(abs).max()!
            let worst = zip(batch.array, one.array).map { abs($0 - $1) }.max()! / scale
            #expect(worst <= 1e-5, "\(format), \(cols) columns\(Linear.onTiles(weight) ? " on tiles" : ""): worst \(worst)")
        }
    }

    /// Two or three weights of one width applied to one input as a group (a layer's q/k/v, an FFN's
    /// gate/up; one job on the pool over their rows laid end to end) give exactly what one product each
    /// gives, with mixed formats, with a pair of rows on either side of each boundary, and for a batch.
    @Test(arguments: [false, true])
    func groupedProductsEqualOneProductEach(quantized: Bool) {
        let cols = 1024, shapes = [(200, Quantization.Format.q4), (130, .q4), (66, .q6)]
        let weights = shapes.enumerated().map { i, shape in
            let source = Matrix(rows: shape.0, cols: cols, values: LinearTests.random(shape.0 * cols, seed: 20 + UInt64(i)))
            return quantized ? Quantization.quantize(source, format: shape.1) : source
        }
        for (count, grouped) in [(1, 3), (3, 3), (1, 2)] {
            let x = FloatBuffer(LinearTests.random(count * cols, seed: 9 + UInt64(count)))
            let scratch = FloatBuffer(count: weights.map { Linear.scratchCount($0, count: count) }.max()!)
            let together = weights.map { FloatBuffer([Float](repeating: .nan, count: count * $0.rows)) }
            Linear.apply(weights[0], weights[1], grouped == 3 ? weights[2] : nil, input: x.pointer, count: count,
                         outputs: (together[0].pointer, together[1].pointer, grouped == 3 ? together[2].pointer : nil),
                         scratch: scratch.pointer)
            for i in 0..<grouped {
                let one = FloatBuffer(count: count * weights[i].rows)
                Linear.apply(weights[i], input: x.pointer, count: count, output: one.pointer, scratch: scratch.pointer)
                #expect(together[i].array == one.array, "\(count) input(s), weight \(i) of \(grouped)")
            }
            // A pair leaves the third output alone.
            if grouped == 2 { #expect(together[2].array.allSatisfy { $0.isNaN }) }
        }
    }
}
