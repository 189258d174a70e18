import CKernels
import Foundation
import Kernels
import Testing

/// The hand-written matrix-vector kernels agree with plain double-precision sums at every
/// instruction-set level this machine has, and the quantized formats stay within their error bounds.
@Suite(.serialized) struct CKernelsTests {
    /// Levels to check: the portable code, and each SIMD level up to the machine's best (x86: 2, 3, 4, 5;
    /// aarch64: 1).
    static var levels: [Int32] {
        let best = ck_set_isa(9)
        defer { ck_set_isa(9) }
        return (0...best).filter { ck_set_isa($0) == $0 }
    }

    /// The levels, and the one with a byte dot-product extension (AVX2 with AVX-VNNI, NEON with sdot) with it
    /// too where this machine has it.
    static var variants: [(level: Int32, byteDots: Bool)] {
        defer { ck_set_isa(9) }
        let withDots = levels.filter { ck_set_isa($0) == $0 && ck_set_byte_dots(1) == 1 }
        return levels.map { ($0, false) } + withDots.map { ($0, true) }
    }

    /// Sets the calling thread's instruction set to `variant` (undone by `ck_set_isa(9)`).
    static func use(_ variant: (level: Int32, byteDots: Bool)) {
        ck_set_isa(variant.level)
        ck_set_byte_dots(variant.byteDots ? 1 : 0)
    }

    struct Case {
        var rows: Int, cols: Int
        var w: [Float], x: [Float]
        init(rows: Int, cols: Int, seed: UInt64) {
            var state = seed
            func next() -> Float {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(Int64(bitPattern: state >> 11) % 2_000_000) / 1_000_000 - 1
            }
            self.rows = rows
            self.cols = cols
            w = (0..<rows * cols).map { _ in next() }
            x = (0..<cols).map { _ in next() * 3 }
        }
        func reference(_ weights: [Float]) -> [Double] {
            (0..<rows).map { r in (0..<cols).reduce(0.0) { $0 + Double(weights[r * cols + $1]) * Double(x[$1]) } }
        }
    }

    static func maxRelativeError(_ got: [Float], _ want: [Double]) -> Double {
        let scale = want.map(abs).max() ?? 1
        return zip(got, want).map { abs(Double($0) - $1) }.max()! / max(scale, 1e-12)
    }

    @Test(arguments: [(7, 64), (33, 3072), (5, 100), (16, 8192)])
    func floatKernelsMatchDoubleSums(rows: Int, cols: Int) {
        let c = Case(rows: rows, cols: cols, seed: UInt64(rows * 131 + cols))
        let bf16 = c.w.map { UInt16(truncatingIfNeeded: ($0.bitPattern &+ 0x7FFF &+ (($0.bitPattern >> 16) & 1)) >> 16) }
        let bf16Values = bf16.map { Float(bitPattern: UInt32($0) << 16) }
        let f16 = c.w.map { ck_f32_to_f16($0) }
        let f16Values = f16.map { ck_f16_value($0) }
        for level in Self.levels {
            ck_set_isa(level)
            var y = [Float](repeating: .nan, count: rows)
            ck_matvec_f32(c.w, c.x, &y, cols, 0, rows)
            #expect(Self.maxRelativeError(y, c.reference(c.w)) < 1e-5, "f32 at level \(level)")
            ck_matvec_bf16(bf16, c.x, &y, cols, 0, rows)
            #expect(Self.maxRelativeError(y, c.reference(bf16Values)) < 1e-5, "bf16 at level \(level)")
            ck_matvec_f16(f16, c.x, &y, cols, 0, rows)
            #expect(Self.maxRelativeError(y, c.reference(f16Values)) < 1e-5, "f16 at level \(level)")
            // Only the requested rows are written.
            var partial = [Float](repeating: -7, count: rows)
            ck_matvec_bf16(bf16, c.x, &partial, cols, 1, rows - 1)
            #expect(partial[0] == -7 && partial[rows - 1] == -7)
        }
        ck_set_isa(9)
    }

    /// The input vector's quantization is the same, bit for bit, at every level: values rounded to the
    /// nearest step of amax/127 per block, zeros past `valid`, an all-zero block with scale 0.
    @Test(arguments: [(512, 512), (3000, 3072), (17, 512), (0, 512), (8192, 8192)])
    func vectorQuantizationIsTheSameAtEveryLevel(valid: Int, cols: Int) {
        var x = Case(rows: 1, cols: cols, seed: UInt64(valid * 7 + cols)).x.map { $0 * 3 }
        for i in 32..<min(64, cols) { x[i] = 0 }  // one block of zeros
        if cols > 70 { x[70] = 0.5; x[71] = -0.5 }  // ties: round half to even
        let blocks = cols / Int(CK_BLOCK)
        func quantize(level: Int32) -> ([Int8], [Float], [Int32]) {
            var q = [Int8](repeating: 99, count: cols), s = [Float](repeating: .nan, count: blocks), sums = [Int32](repeating: 99, count: blocks)
            q.withUnsafeMutableBufferPointer { qp in s.withUnsafeMutableBufferPointer { sp in sums.withUnsafeMutableBufferPointer { up in
                var vector = ck_q8_vector(quants: qp.baseAddress, scales: sp.baseAddress, sums: up.baseAddress)
                ck_set_isa(level)
                ck_quantize_vector(x, valid, cols, &vector)
                ck_set_isa(9)
            } } }
            return (q, s, sums)
        }
        let portable = quantize(level: 0)
        let group = Int(CK_GROUP)
        for e in 0..<cols {
            let b = e / Int(CK_BLOCK), q = portable.0[e / group * group + ck_interleaved(e % group)]
            let value = e < valid ? x[e] : 0
            #expect(abs(Float(q) * portable.1[b] - value) <= portable.1[b] * 0.5 * 1.0001, "element \(e)")
        }
        for level in Self.levels.dropFirst() {
            let other = quantize(level: level)
            #expect(other.0 == portable.0 && other.1 == portable.1 && other.2 == portable.2, "level \(level)")
        }
    }

    /// One quantized format's C entry points, over a matrix quantized into bytes of its own.
    struct Quantized {
        let bits: Int
        let bytes: [UInt8]
        let rows: Int, cols: Int

        init(bits: Int, _ w: [Float], rows: Int, cols: Int) {
            self.bits = bits
            self.rows = rows
            self.cols = cols
            var data = [UInt8](repeating: 0, count: bits == 8 ? ck_q8_bytes(rows, cols) : bits == 6 ? ck_q6_bytes(rows, cols) : ck_q4_bytes(rows, cols))
            data.withUnsafeMutableBufferPointer { p in
                switch bits {
                case 8: p.withMemoryRebound(to: Int8.self) { ck_quantize_q8_rows(w, cols, 0, rows, $0.baseAddress) }
                case 6: ck_quantize_q6_rows(w, cols, 0, rows, p.baseAddress)
                default: ck_quantize_q4_rows(w, cols, 0, rows, p.baseAddress)
                }
            }
            bytes = data
        }

        /// Stored bytes as they are (a test's own extreme values).
        init(bits: Int, raw: [UInt8], rows: Int, cols: Int) {
            self.bits = bits
            self.rows = rows
            self.cols = cols
            bytes = raw
        }

        /// Every weight at its largest unsigned value (q4 nibble 15, q6 63, q8 127), every scale 1.
        static func extremes(bits: Int, rows: Int, cols: Int) -> Quantized {
            let groupBytes = bits == 8 ? 512 : bits == 6 ? 384 : 256
            var raw = [UInt8](repeating: bits == 8 ? 0x7F : 0xFF, count: bits == 8 ? ck_q8_bytes(rows, cols) : bits == 6 ? ck_q6_bytes(rows, cols) : ck_q4_bytes(rows, cols))
            for r in 0..<rows {
                for g in 0..<cols / Int(CK_GROUP) {
                    let at = ck_pair_scales_at(groupBytes, cols, r, g)
                    for b in 0..<16 { raw[at + 2 * b] = 0x00; raw[at + 2 * b + 1] = 0x3C }  // f16 1.0
                }
            }
            return Quantized(bits: bits, raw: raw, rows: rows, cols: cols)
        }

        /// The lowest level of a block (q8's -127 is symmetric; q6 and q4 have one more step below).
        var lowest: Int { bits == 8 ? -127 : -(1 << (bits - 1)) }
        var highest: Int { bits == 8 ? 127 : (1 << (bits - 1)) - 1 }

        func matvec(_ x: UnsafePointer<ck_q8_vector>, _ y: UnsafeMutablePointer<Float>, rows range: Range<Int>) {
            bytes.withUnsafeBufferPointer { p in
                let data = p.baseAddress!
                switch bits {
                case 8: data.withMemoryRebound(to: Int8.self, capacity: p.count) { ck_matvec_q8(ck_q8_matrix(data: $0), x, y, cols, range.lowerBound, range.upperBound) }
                case 6: ck_matvec_q6(ck_q6_matrix(data: data), x, y, cols, range.lowerBound, range.upperBound)
                default: ck_matvec_q4(ck_q4_matrix(data: data), x, y, cols, range.lowerBound, range.upperBound)
                }
            }
        }

        func matmul(_ x: UnsafePointer<ck_q8_vector>, count: Int, _ y: UnsafeMutablePointer<Float>, rows range: Range<Int>) {
            bytes.withUnsafeBufferPointer { p in
                let data = p.baseAddress!
                switch bits {
                case 8: data.withMemoryRebound(to: Int8.self, capacity: p.count) { ck_matmul_q8(ck_q8_matrix(data: $0), x, count, y, rows, cols, range.lowerBound, range.upperBound) }
                case 6: ck_matmul_q6(ck_q6_matrix(data: data), x, count, y, rows, cols, range.lowerBound, range.upperBound)
                default: ck_matmul_q4(ck_q4_matrix(data: data), x, count, y, rows, cols, range.lowerBound, range.upperBound)
                }
            }
        }

        func dequantized() -> [Float] {
            var out = [Float](repeating: .nan, count: rows * cols)
            bytes.withUnsafeBufferPointer { p in
                let data = p.baseAddress!
                switch bits {
                case 8: data.withMemoryRebound(to: Int8.self, capacity: p.count) { ck_dequantize_q8_rows(ck_q8_matrix(data: $0), cols, cols, 0, rows, &out) }
                case 6: ck_dequantize_q6_rows(ck_q6_matrix(data: data), cols, cols, 0, rows, &out)
                default: ck_dequantize_q4_rows(ck_q4_matrix(data: data), cols, cols, 0, rows, &out)
                }
            }
            return out
        }

        func scale(row r: Int, block b: Int) -> Float {
            bytes.withUnsafeBufferPointer { p in
                let data = p.baseAddress!
                switch bits {
                case 8: return data.withMemoryRebound(to: Int8.self, capacity: p.count) { ck_q8_scale(ck_q8_matrix(data: $0), cols, r, b) }
                case 6: return ck_q6_scale(ck_q6_matrix(data: data), cols, r, b)
                default: return ck_q4_scale(ck_q4_matrix(data: data), cols, r, b)
                }
            }
        }
    }

    /// The input vector of `x`, quantized, in storage of its own (the descriptor points into it).
    final class InputVector {
        let vector: ck_q8_vector
        let cols: Int

        init(_ x: [Float], cols: Int) {
            let blocks = cols / Int(CK_BLOCK)
            self.cols = cols
            vector = ck_q8_vector(quants: .allocate(capacity: cols), scales: .allocate(capacity: blocks), sums: .allocate(capacity: blocks))
            withUnsafePointer(to: vector) { ck_quantize_vector(x, cols, cols, UnsafeMutablePointer(mutating: $0)) }
        }

        deinit {
            vector.quants.deallocate()
            vector.scales.deallocate()
            vector.sums.deallocate()
        }

        /// Element e as the kernels see it: its int8 value times its block's scale.
        func value(_ e: Int) -> Double {
            let group = Int(CK_GROUP)
            return Double(vector.quants[e / group * group + ck_interleaved(e % group)]) * Double(vector.scales[e / Int(CK_BLOCK)])
        }
    }

    @Test(arguments: [8, 6, 4], [(9, 512), (40, 3072), (3, 8192)])
    func quantizedKernelsComputeExactlyTheBlockSums(bits: Int, shape: (rows: Int, cols: Int)) {
        let (rows, cols) = shape
        let c = Case(rows: rows, cols: cols, seed: UInt64(rows + cols))
        let w = Quantized(bits: bits, c.w, rows: rows, cols: cols)
        let input = InputVector(c.x, cols: cols)
        let dequantized = w.dequantized()

        // What the integer kernels must compute: dequantized weights times dequantized input.
        let xValues = (0..<cols).map(input.value)
        let want = (0..<rows).map { r in (0..<cols).reduce(0.0) { $0 + Double(dequantized[r * cols + $1]) * xValues[$1] } }
        for level in Self.levels {
            ck_set_isa(level)
            var y = [Float](repeating: .nan, count: rows)
            withUnsafePointer(to: input.vector) { v in y.withUnsafeMutableBufferPointer { w.matvec(v, $0.baseAddress!, rows: 0..<rows) } }
            #expect(Self.maxRelativeError(y, want) < 1e-5, "q\(bits) at level \(level)")
        }
        ck_set_isa(9)

        // Inside the levels the quantization error is at most half a step of each block's scale; beyond
        // them (q6 and q4's scale search may clip a block's extremes) it is the distance to the end level.
        for r in 0..<rows {
            for b in 0..<cols / Int(CK_BLOCK) {
                let scale = w.scale(row: r, block: b)
                for i in 0..<Int(CK_BLOCK) {
                    let k = r * cols + b * Int(CK_BLOCK) + i
                    let steps = c.w[k] / scale
                    let outside = max(0, steps - (Float(w.highest) + 0.5), Float(w.lowest) - 0.5 - steps)
                    #expect(abs(dequantized[k] - c.w[k]) <= abs(scale) * (0.5 + outside) * 1.0001 + 1e-6, "q\(bits) element \(k)")
                }
            }
        }
    }

    /// The multi-input kernels (at every level, and AVX2 with AVX-VNNI where there is one) give what one
    /// product per input gives, for tile-sized and ragged counts
    /// (a last tile of 1, 2 or 3 inputs),
    /// from an even and an odd first row, over more rows than one cache block of the batched kernel
    /// (240 at q8, 336 at q6, 450 at q4 at 1024 columns), and over more columns than one span of its
    /// tiles (4096: 4608 columns take a span and a group).
    @Test(arguments: [8, 6, 4], [(1, 7, 1024), (3, 6, 1024), (6, 9, 1024), (4, 5, 4608), (9, 11, 4608), (5, 1000, 1024)])
    func batchedQuantizedProductsEqualOneProductPerInput(bits: Int, shape: (inputs: Int, rows: Int, cols: Int)) {
        let (inputs, rows, cols) = shape
        let c = Case(rows: rows, cols: cols, seed: UInt64(inputs * 31 + rows))
        let w = Quantized(bits: bits, c.w, rows: rows, cols: cols)
        let vectors = (0..<inputs).map { i in InputVector(Case(rows: 1, cols: cols, seed: UInt64(100 + i)).x, cols: cols) }
        var descriptors = vectors.map(\.vector)
        for first in [0, 1] {
            for variant in Self.variants {
                Self.use(variant)
                var batched = [Float](repeating: .nan, count: inputs * rows), single = batched
                batched.withUnsafeMutableBufferPointer { w.matmul(&descriptors, count: inputs, $0.baseAddress!, rows: first..<rows) }
                for i in 0..<inputs {
                    single.withUnsafeMutableBufferPointer { w.matvec(&descriptors[i], $0.baseAddress! + i * rows, rows: first..<rows) }
                }
                let written = (0..<inputs).flatMap { i in (first..<rows).map { i * rows + $0 } }
                #expect(Self.maxRelativeError(written.map { batched[$0] }, written.map { Double(single[$0]) }) < 1e-5,
                        "q\(bits) x \(inputs) from row \(first) at \(variant)")
                if first == 1 { #expect(batched[0].isNaN && single[0].isNaN, "row 0 is not written") }
            }
            ck_set_isa(9)
        }
        withExtendedLifetime(vectors) {}
    }

    /// The integer sums stay exact at the formats' extremes, where the kernels without VNNI come nearest
    /// to their 16-bit pair sums (q4 adds 8 vectors of nibble products in 16 bits, q6 two, q8 takes
    /// |q| times +-x): every weight at its largest unsigned value (q4 nibble 15, q6 63, q8 127), every
    /// input at +-127, one product and batches, at every level and with AVX-VNNI.
    @Test(arguments: [8, 6, 4])
    func integerSumsStayExactAtTheExtremes(bits: Int) {
        let rows = 6, cols = 1024
        let w = Quantized.extremes(bits: bits, rows: rows, cols: cols)
        let level = Double(w.highest)  // q4 15 - 8, q6 63 - 32, q8 127
        for sign in [1.0, -1.0] {
            let vectors = (0..<4).map { _ in InputVector([Float](repeating: Float(sign), count: cols), cols: cols) }
            var descriptors = vectors.map(\.vector)
            let want = [Double](repeating: sign * level * Double(cols), count: 4 * rows)
            for variant in Self.variants {
                Self.use(variant)
                var batched = [Float](repeating: .nan, count: 4 * rows), single = batched
                batched.withUnsafeMutableBufferPointer { w.matmul(&descriptors, count: 4, $0.baseAddress!, rows: 0..<rows) }
                for i in 0..<4 { single.withUnsafeMutableBufferPointer { w.matvec(&descriptors[i], $0.baseAddress! + i * rows, rows: 0..<rows) } }
                #expect(Self.maxRelativeError(batched, want) < 1e-5, "q\(bits) batched, inputs \(sign > 0 ? "+" : "-")127, \(variant)")
                #expect(Self.maxRelativeError(single, want) < 1e-5, "q\(bits) single, inputs \(sign > 0 ? "+" : "-")127, \(variant)")
            }
            ck_set_isa(9)
            withExtendedLifetime(vectors) {}
        }
    }

    /// Float32 to IEEE half (the quantized modes' KV cache) rounds to nearest even as Swift's Float16
    /// does, at every level: ties, subnormals, overflow to infinity, signed zeros, NaN.
    @Test func halfConversionRoundsAsFloat16() {
        var state: UInt32 = 12345
        var values: [Float] = [0, -0, 1, -1, 65504, 65519.99, 65520, -70000, .infinity, -.infinity, .nan,
                               6.1e-5, 5.96e-8, 2.98e-8, 2.99e-8, 1e-9, 1 + 1 / 2048, 1 + 3 / 2048, 2049, 2051, 0.1]
        for _ in 0..<20_000 {
            state = state &* 1_664_525 &+ 1_013_904_223
            // Random bit patterns with exponents around half's range.
            values.append(Float(bitPattern: (state & 0x807F_FFFF) | (UInt32(100 + state % 48) << 23)))
        }
        let want = values.map { Float16($0) }
        for level in Self.levels {
            ck_set_isa(level)
            var got = [UInt16](repeating: 0, count: values.count)
            ck_f32_to_f16_n(values, &got, values.count)
            for (g, w) in zip(got, want) {
                let ok = w.isNaN ? Float16(bitPattern: g).isNaN : g == w.bitPattern
                #expect(ok, "level \(level): \(w) became \(Float16(bitPattern: g))")
                if !ok { break }
            }
        }
        ck_set_isa(9)
    }

    /// int8 rows for the KV cache (and its queries): each row's scale is its largest magnitude over 127,
    /// every value rounds to the nearest step (so the extreme maps to ±127 exactly), a zero row stays zero.
    @Test func int8RowsRoundToTheirScale() {
        let d = 128, rows = 50
        var state: UInt32 = 99
        var values = (0..<rows * d).map { _ -> Float in
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(Int32(bitPattern: state) >> 8) / Float(1 << 23) * 3
        }
        for c in 0..<d { values[7 * d + c] = 0 }  // a zero row
        var q = [Int8](repeating: 0, count: rows * d), scales = [Float](repeating: .nan, count: rows)
        Convert.floatToInt8Rows(values, rows: rows, width: d, into: &q, scales: &scales)
        var back = [Float](repeating: .nan, count: rows * d)
        Convert.int8RowsToFloat(q, scales: scales, rows: rows, width: d, into: &back)
        for r in 0..<rows {
            let row = values[r * d..<(r + 1) * d]
            let top = row.map(abs).max()!
            #expect(scales[r] == top / 127)
            for c in 0..<d {
                let i = r * d + c
                #expect(abs(back[i] - values[i]) <= scales[r] / 2 * 1.0001, "row \(r), column \(c)")
                if abs(values[i]) == top && top > 0 { #expect(abs(Int(q[i])) == 127) }
            }
        }
        #expect(q[7 * d..<8 * d].allSatisfy { $0 == 0 } && back[7 * d..<8 * d].allSatisfy { $0 == 0 })
        // Rounding in place (the queries over an int8 cache) gives the same values.
        var rounded = values
        Convert.roundRowsToInt8(&rounded, count: rows, width: d)
        #expect(rounded == back)
    }

    /// Jobs back to back with changing task counts and contexts: a worker late from one job must
    /// never run a task of the next, and a call returns only when its own tasks are all done.
    @Test func poolNeverMixesTasksOfConsecutiveJobs() {
        let pool = ck_pool_create(2)!
        defer { ck_pool_destroy(pool) }
        final class Round { var marks = [Int32](repeating: 0, count: 64) }
        for round in 0..<20_000 {
            let job = Round()
            let tasks = 1 + (round * 7) % 64
            ck_pool_run(pool, { context, task, _ in
                let job = Unmanaged<Round>.fromOpaque(context!).takeUnretainedValue()
                job.marks.withUnsafeMutableBufferPointer { $0[task] += 1 }
            }, Unmanaged.passUnretained(job).toOpaque(), tasks)
            if job.marks.prefix(tasks).contains(where: { $0 != 1 }) || job.marks.dropFirst(tasks).contains(where: { $0 != 0 }) {
                Issue.record("round \(round): marks \(job.marks.prefix(tasks))")
                return
            }
        }
    }

    /// Balanced rows: every row runs exactly once, in runs of whole granules (the last may end at the
    /// row count), and threads that run out take rows from the share that is slow to compute.
    @Test func poolRunsEveryRowOnceAndBalances() {
        let pool = ck_pool_create(3)!
        defer { ck_pool_destroy(pool) }
        final class Record {
            var hits = [Int32](repeating: 0, count: 3000)
            var thread = [UInt](repeating: 0, count: 3000)
            var misaligned = 0
            var rows = 0, granule = 1
        }
        let record = Record()
        var sharedFirstShare = 0
        for round in 0..<300 {
            record.rows = 1 + (round * 37) % 3000
            record.granule = [1, 2, 6][round % 3]
            record.hits.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            withExtendedLifetime(record) {
                ck_pool_run_rows(pool, { context, begin, end in
                    let record = Unmanaged<Record>.fromOpaque(context!).takeUnretainedValue()
                    if begin % record.granule != 0 || (end % record.granule != 0 && end != record.rows) { record.misaligned += 1 }
                    let me = UInt(bitPattern: Int(pthread_self()))
                    record.hits.withUnsafeMutableBufferPointer { hits in
                        record.thread.withUnsafeMutableBufferPointer { thread in
                            for r in begin..<end {
                                hits[r] += 1
                                thread[r] = me
                            }
                        }
                    }
                    if begin < record.rows / 3 { usleep(50) }  // the first share is slow
                }, Unmanaged.passUnretained(record).toOpaque(), record.rows, record.granule)
            }
            #expect(record.hits[0..<record.rows].allSatisfy { $0 == 1 }, "\(record.rows) rows, granule \(record.granule)")
            // Without balancing one thread does the whole first share.
            let first = record.rows / 3 / record.granule * record.granule
            if Set(record.thread[0..<first]).count > 1 { sharedFirstShare += 1 }
        }
        #expect(record.misaligned == 0)
        #expect(sharedFirstShare > 0)
    }

    @Test func poolRunsEveryTaskExactlyOnce() {
        let pool = ck_pool_create(3)!
        defer { ck_pool_destroy(pool) }
        #expect(ck_pool_threads(pool) == 3)
        final class Counts { var hits = [Int32](repeating: 0, count: 97) }
        let counts = Counts()
        for round in 0..<2000 {
            let tasks = 1 + round % 97
            withExtendedLifetime(counts) {
                ck_pool_run(pool, { context, task, _ in
                    let counts = Unmanaged<Counts>.fromOpaque(context!).takeUnretainedValue()
                    // Each index runs once per round, and the round ends only after every task did.
                    counts.hits.withUnsafeMutableBufferPointer { $0[task] += 1 }
                }, Unmanaged.passUnretained(counts).toOpaque(), tasks)
            }
            if round % 500 == 0 { usleep(1000) }  // let workers fall asleep between some rounds
        }
        for t in 0..<97 {
            // Task t runs in every round with more than t tasks.
            let expected = (0..<2000).filter { 1 + $0 % 97 > t }.count
            #expect(counts.hits[t] == Int32(expected), "task \(t)")
        }
    }
}

