import CKernels
import Foundation
import Kernels
import Testing

/// The fused decode attention against the definition computed in Double: through the thread pool, and
/// the kernel alone at every instruction-set level this machine has (grouped AVX-512 with and without VNNI,
/// grouped AVX2, per-head AVX2 where a head is not a multiple of 16 or the group too large, portable),
/// over a Float32 cache, a half one and an int8 one (a scale per row).
@Suite struct DecodeAttentionTests {
    /// The prefill's softmax (the attention kernels' exponential) is the definition within 1e-6 at every level,
    /// over ragged lengths and a wide spread of scores (tails far below the maximum vanish, as they should).
    @Test(arguments: [1, 7, 8, 13, 500])
    func attentionSoftmaxMatchesTheDefinition(count: Int) {
        var state: UInt64 = UInt64(count) &* 0x9E37_79B9_7F4A_7C15
        let scores: [Float] = (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int(state >> 40) % 20_000 - 15_000) / 100  // -150 ... 50
        }
        let top = Double(scores.max()!)
        let exps = scores.map { Foundation.exp(Double($0) - top) }
        let want = exps.map { $0 / exps.reduce(0, +) }
        for level in CKernelsTests.levels {
            ck_set_isa(level)
            var got = scores
            got.withUnsafeMutableBufferPointer { Vector.attentionSoftmax($0.baseAddress!, count: count) }
            let error = zip(got, want).map { abs(Double($0) - $1) }.max()!
            #expect(error < 1e-6, "\(count) scores at level \(level): \(error)")
            #expect(abs(got.reduce(0, +) - 1) < 1e-5)
        }
        ck_set_isa(9)
    }

    @Test(arguments: [(8, 2, 128, 600), (24, 8, 128, 1), (24, 8, 128, 333), (4, 4, 64, 37), (3, 1, 24, 9), (6, 3, 16, 300),
                      (16, 1, 256, 50), (8, 2, 256, 40), (4, 2, 320, 40)], [KVPrecision.float32, .float16, .int8])
    func matchesTheDefinition(shape: (heads: Int, kvHeads: Int, headDim: Int, keyCount: Int), precision: KVPrecision) {
        let (heads, kvHeads, d, keyCount) = shape
        var rng = SystemRandomNumberGenerator()
        let capacity = keyCount + 5
        func random(_ n: Int, _ spread: Float) -> [Float] { (0..<n).map { _ in Float.random(in: -spread...spread, using: &rng) } }
        let q = random(heads * d, 2)
        var keys = random(kvHeads * capacity * d, 2), values = random(kvHeads * capacity * d, 1)
        // The half cache: its rows, and the values they stand for (what the definition is computed from).
        let halfKeys = keys.map { Float16($0).bitPattern }, halfValues = values.map { Float16($0).bitPattern }
        if precision == .float16 {
            keys = halfKeys.map { Float(Float16(bitPattern: $0)) }
            values = halfValues.map { Float(Float16(bitPattern: $0)) }
        }
        // The int8 cache: rows and their scales, and again the values they stand for.
        let rows = kvHeads * capacity
        var int8Keys = [Int8](repeating: 0, count: keys.count), int8Values = int8Keys
        var keyScales = [Float](repeating: 0, count: rows), valueScales = keyScales
        Convert.floatToInt8Rows(keys, rows: rows, width: d, into: &int8Keys, scales: &keyScales)
        Convert.floatToInt8Rows(values, rows: rows, width: d, into: &int8Values, scales: &valueScales)
        if precision == .int8 {
            Convert.int8RowsToFloat(int8Keys, scales: keyScales, rows: rows, width: d, into: &keys)
            Convert.int8RowsToFloat(int8Values, scales: valueScales, rows: rows, width: d, into: &values)
        }
        var scores = [Float](repeating: 0, count: 16 * keyCount)
        let scale = 1 / Float(d).squareRoot()
        func attend(level: Int32?) -> [Float] {
            var out = [Float](repeating: .nan, count: heads * d)
            q.withUnsafeBufferPointer { q in keys.withUnsafeBufferPointer { k in values.withUnsafeBufferPointer { v in
                halfKeys.withUnsafeBufferPointer { hk in halfValues.withUnsafeBufferPointer { hv in
                int8Keys.withUnsafeBufferPointer { ik in int8Values.withUnsafeBufferPointer { iv in
                keyScales.withUnsafeBufferPointer { ks in valueScales.withUnsafeBufferPointer { vs in
                out.withUnsafeMutableBufferPointer { o in scores.withUnsafeMutableBufferPointer { s in
                    let half = precision == .float16
                    let cachedKeys = precision == .int8 ? UnsafeRawPointer(ik.baseAddress!) : half ? UnsafeRawPointer(hk.baseAddress!) : UnsafeRawPointer(k.baseAddress!)
                    let cachedValues = precision == .int8 ? UnsafeRawPointer(iv.baseAddress!) : half ? UnsafeRawPointer(hv.baseAddress!) : UnsafeRawPointer(v.baseAddress!)
                    let scales = precision == .int8 ? (ks.baseAddress, vs.baseAddress) : (nil, nil)
                    if let level {
                        ck_set_isa(level)
                        if precision == .int8 {
                            ck_attend_kv_heads_i8(q.baseAddress!, ik.baseAddress!, iv.baseAddress!, ks.baseAddress!, vs.baseAddress!,
                                                  o.baseAddress!, s.baseAddress!, heads / kvHeads, d, capacity, keyCount, scale, 0, kvHeads)
                        } else if half {
                            ck_attend_kv_heads_f16(q.baseAddress!, hk.baseAddress!, hv.baseAddress!, o.baseAddress!, s.baseAddress!,
                                                   heads / kvHeads, d, capacity, keyCount, scale, 0, kvHeads)
                        } else {
                            ck_attend_kv_heads(q.baseAddress!, k.baseAddress!, v.baseAddress!, o.baseAddress!, s.baseAddress!,
                                               heads / kvHeads, d, capacity, keyCount, scale, 0, kvHeads)
                        }
                        ck_set_isa(9)
                    } else {
                        DecodeAttention.attend(query: q.baseAddress!, keys: cachedKeys, values: cachedValues,
                                               precision: precision, keyScales: scales.0, valueScales: scales.1, output: o.baseAddress!,
                                               scores: s.baseAddress!, scoreCapacity: s.count, heads: heads, kvHeads: kvHeads,
                                               headDim: d, capacity: capacity, keyCount: keyCount, scale: scale)
                    }
                } }
                } }
                } }
                } }
            } } }
            return out
        }
        // Over int8 keys the queries are int8 too: one scale per head, max |q| / 127, rounded to nearest.
        var queries = q.map(Double.init)
        if precision == .int8 {
            for h in 0..<heads {
                let row = q[h * d..<(h + 1) * d], top = row.map(abs).max()!
                let inverse = top > 0 ? 127 / top : 0
                for c in 0..<d { queries[h * d + c] = Double((q[h * d + c] * inverse).rounded(.toNearestOrEven)) * Double(top / 127) }
            }
        }
        var want = [Double](repeating: 0, count: heads * d)
        for h in 0..<heads {
            let g = h / (heads / kvHeads)
            let s = (0..<keyCount).map { j in
                (0..<d).reduce(0.0) { $0 + queries[h * d + $1] * Double(keys[(g * capacity + j) * d + $1]) } * Double(scale)
            }
            let top = s.max()!
            let e = s.map { Foundation.exp($0 - top) }
            let total = e.reduce(0, +)
            for c in 0..<d {
                want[h * d + c] = (0..<keyCount).reduce(0.0) { $0 + e[$1] / total * Double(values[(g * capacity + $1) * d + c]) }
            }
        }
        for level in [nil] + CKernelsTests.levels.map(Optional.some) {
            let out = attend(level: level)
            // NaN-aware: an output never written stays NaN, and NaN is never below the bound.
            let errors = zip(want, out).map { abs($0 - Double($1)) }
            let worst = errors.first { !($0 < 1e-5) }
            #expect(worst == nil, "\(precision), ISA level \(level.map(String.init) ?? "pool"): error \(worst ?? 0)")
        }
    }
}
