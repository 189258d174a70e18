import CKernels
import Foundation
import Kernels
import Testing

/// The quantized products on AMX's int8 tiles (`ck_matmul_q8_amx`...) and their input quantization
/// (`ck_quantize_rows`). Their integer block sums are the VNNI kernels' exactly, so they must give what one
/// matrix-vector product per input gives, up to the order of the Float32 additions.
@Suite(.serialized, .enabled(if: ThreadPool.hasTiles, "the CPU has no AMX tiles (or Linux did not grant them)"))
struct IntegerTileTests {
    /// A batch quantized for the tiles, in storage of its own.
    final class TileBatch {
        let quants: UnsafeMutablePointer<Int8>
        let scales: UnsafeMutablePointer<Float>
        let count: Int, cols: Int

        init(_ x: [Float], count: Int, valid: Int, cols: Int) {
            let positions = (count + 15) / 16 * 16
            self.count = count
            self.cols = cols
            quants = .allocate(capacity: positions * cols)
            scales = .allocate(capacity: positions * cols / Int(CK_BLOCK))
            quants.initialize(repeating: 99, count: positions * cols)
            scales.initialize(repeating: .nan, count: positions * cols / Int(CK_BLOCK))
            ck_quantize_rows(x, valid, count, valid, cols, quants, scales)
        }

        deinit {
            quants.deallocate()
            scales.deallocate()
        }

        /// Position t's element e and its block's scale, where the tiles' layout keeps them.
        func quant(_ t: Int, _ e: Int) -> Int8 {
            let blocks = cols / Int(CK_BLOCK), b = e / Int(CK_BLOCK)
            return quants[(t / 16 * blocks + b) * 512 + t % 16 * Int(CK_BLOCK) + e % Int(CK_BLOCK)]
        }

        func scale(_ t: Int, block b: Int) -> Float { scales[(t / 16 * (cols / Int(CK_BLOCK)) + b) * 16 + t % 16] }
    }

    static func product(_ w: CKernelsTests.Quantized, _ batch: TileBatch, _ y: UnsafeMutablePointer<Float>, ldy: Int,
                        rows range: Range<Int>) {
        w.bytes.withUnsafeBufferPointer { p in
            let data = p.baseAddress!
            let (r0, r1) = (range.lowerBound, range.upperBound)
            switch w.bits {
            case 8: data.withMemoryRebound(to: Int8.self, capacity: p.count) {
                ck_matmul_q8_amx(ck_q8_matrix(data: $0), w.cols, batch.quants, batch.scales, batch.count, y, ldy, r0, r1)
            }
            case 6: ck_matmul_q6_amx(ck_q6_matrix(data: data), w.cols, batch.quants, batch.scales, batch.count, y, ldy, r0, r1)
            default: ck_matmul_q4_amx(ck_q4_matrix(data: data), w.cols, batch.quants, batch.scales, batch.count, y, ldy, r0, r1)
            }
        }
    }

    /// Each position's quants and scales are what `ck_quantize_vector` makes of it (there interleaved), the
    /// columns past `valid` are zeros, and so are the positions after the last up to a whole 16.
    @Test(arguments: [(3, 512, 512), (21, 1000, 1024)])
    func inputsAreQuantizedAsOneVectorEach(count: Int, valid: Int, cols: Int) {
        let x = LinearTests.random(count * valid, seed: 31).map { $0 * 5 }
        let batch = TileBatch(x, count: count, valid: valid, cols: cols)
        let blocks = cols / Int(CK_BLOCK), group = Int(CK_GROUP)
        for t in 0..<(count + 15) / 16 * 16 {
            guard t < count else {
                #expect((0..<cols).allSatisfy { batch.quant(t, $0) == 0 }, "position \(t) past the batch")
                #expect((0..<blocks).allSatisfy { batch.scale(t, block: $0) == 0 }, "scales of position \(t) past the batch")
                continue
            }
            let padded = Array(x[t * valid..<(t + 1) * valid]) + [Float](repeating: 0, count: cols - valid)
            let one = CKernelsTests.InputVector(padded, cols: cols)
            let quants = (0..<cols).map { one.vector.quants[$0 / group * group + ck_interleaved($0 % group)] }
            #expect((0..<cols).map { batch.quant(t, $0) } == quants, "quants of position \(t)")
            #expect((0..<blocks).map { batch.scale(t, block: $0) } == (0..<blocks).map { one.vector.scales[$0] },
                    "scales of position \(t)")
        }
    }

    /// Tile products equal one product per input: a batch of whole 16s, one with a part of 16 over more
    /// columns than a chunk of the kernel (4608: four of 1024 and one of 512), one smaller than 16; rows from
    /// 0 and from 16; nothing written outside the rows asked for or past the batch.
    @Test(arguments: [8, 6, 4], [(16, 0..<32, 1024), (37, 16..<64, 4608), (5, 0..<16, 512)])
    func tileProductsEqualOneProductPerInput(bits: Int, shape: (count: Int, rows: Range<Int>, cols: Int)) {
        let (count, range, cols) = shape
        let rows = range.upperBound + 16, ldy = rows + 3
        let c = CKernelsTests.Case(rows: rows, cols: cols, seed: UInt64(bits * 7 + count))
        let w = CKernelsTests.Quantized(bits: bits, c.w, rows: rows, cols: cols)
        let x = LinearTests.random(count * cols, seed: UInt64(40 + count)).map { $0 * 2 }
        let batch = TileBatch(x, count: count, valid: cols, cols: cols)
        let y = FloatBuffer([Float](repeating: .nan, count: (count + 1) * ldy))
        Self.product(w, batch, y.pointer, ldy: ldy, rows: range)
        var worst = 0.0
        for t in 0..<count {
            let one = CKernelsTests.InputVector(Array(x[t * cols..<(t + 1) * cols]), cols: cols)
            var single = [Float](repeating: .nan, count: rows)
            withUnsafePointer(to: one.vector) { v in single.withUnsafeMutableBufferPointer { w.matvec(v, $0.baseAddress!, rows: range) } }
            let scale = range.map { abs(Double(single[$0])) }.max()!
            for r in range { worst = max(worst, abs(Double(y.pointer[t * ldy + r]) - Double(single[r])) / scale) }
            let outside = (0..<ldy).filter { !range.contains($0) }
            #expect(outside.allSatisfy { y.pointer[t * ldy + $0].isNaN }, "q\(bits): position \(t) written outside its rows")
        }
        #expect(worst < 1e-5, "q\(bits) x \(count), rows \(range), \(cols) columns: worst \(worst)")
        #expect((0..<ldy).allSatisfy { y.pointer[count * ldy + $0].isNaN }, "q\(bits): written past the batch")
    }

    /// The int32 sums stay exact at the formats' extremes: every weight at its largest value, every input at
    /// +-127, over 1024 columns.
    @Test(arguments: [8, 6, 4])
    func sumsStayExactAtTheExtremes(bits: Int) {
        let rows = 16, cols = 1024
        let w = CKernelsTests.Quantized.extremes(bits: bits, rows: rows, cols: cols)
        for sign in [Float(1), -1] {
            let batch = TileBatch([Float](repeating: sign, count: 16 * cols), count: 16, valid: cols, cols: cols)
            let y = FloatBuffer([Float](repeating: .nan, count: 16 * rows))
            Self.product(w, batch, y.pointer, ldy: rows, rows: 0..<rows)
            let want = [Double](repeating: Double(sign) * Double(w.highest) * Double(cols), count: 16 * rows)
            #expect(CKernelsTests.maxRelativeError(y.array, want) < 1e-5, "q\(bits), inputs \(sign > 0 ? "+" : "-")127")
        }
    }
}
