import CKernels
import Foundation
import Kernels
import Testing

/// The fused decode attention against the definition computed in Double: through the thread pool, and
/// the kernel alone at every instruction-set level this machine has (grouped AVX-512, per-head AVX2, portable),
/// over a Float32 cache and over a half one.
@Suite struct DecodeAttentionTests {
    @Test(arguments: [(8, 2, 128, 600), (24, 8, 128, 1), (24, 8, 128, 333), (4, 4, 64, 37), (3, 1, 24, 9), (6, 3, 16, 300),
                      (16, 1, 256, 50), (8, 2, 256, 40), (4, 2, 320, 40)], [KVPrecision.float32, .float16])
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
        var scores = [Float](repeating: 0, count: 16 * keyCount)
        let scale = 1 / Float(d).squareRoot()
        func attend(level: Int32?) -> [Float] {
            var out = [Float](repeating: .nan, count: heads * d)
            q.withUnsafeBufferPointer { q in keys.withUnsafeBufferPointer { k in values.withUnsafeBufferPointer { v in
                halfKeys.withUnsafeBufferPointer { hk in halfValues.withUnsafeBufferPointer { hv in
                out.withUnsafeMutableBufferPointer { o in scores.withUnsafeMutableBufferPointer { s in
                    let half = precision == .float16
                    if let level {
                        ck_set_isa(level)
                        if half {
                            ck_attend_kv_heads_f16(q.baseAddress!, hk.baseAddress!, hv.baseAddress!, o.baseAddress!, s.baseAddress!,
                                                   heads / kvHeads, d, capacity, keyCount, scale, 0, kvHeads)
                        } else {
                            ck_attend_kv_heads(q.baseAddress!, k.baseAddress!, v.baseAddress!, o.baseAddress!, s.baseAddress!,
                                               heads / kvHeads, d, capacity, keyCount, scale, 0, kvHeads)
                        }
                        ck_set_isa(9)
                    } else {
                        DecodeAttention.attend(query: q.baseAddress!, keys: half ? UnsafeRawPointer(hk.baseAddress!) : UnsafeRawPointer(k.baseAddress!),
                                               values: half ? UnsafeRawPointer(hv.baseAddress!) : UnsafeRawPointer(v.baseAddress!),
                                               precision: precision, output: o.baseAddress!,
                                               scores: s.baseAddress!, scoreCapacity: s.count, heads: heads, kvHeads: kvHeads,
                                               headDim: d, capacity: capacity, keyCount: keyCount, scale: scale)
                    }
                } }
                } }
            } } }
            return out
        }
        var want = [Double](repeating: 0, count: heads * d)
        for h in 0..<heads {
            let g = h / (heads / kvHeads)
            let s = (0..<keyCount).map { j in
                (0..<d).reduce(0.0) { $0 + Double(q[h * d + $1]) * Double(keys[(g * capacity + j) * d + $1]) } * Double(scale)
            }
            let top = s.max()!
            let e = s.map { Foundation.exp($0 - top) }
            let total = e.reduce(0, +)
            for c in 0..<d {
                want[h * d + c] = (0..<keyCount).reduce(0.0) { $0 + e[$1] / total * Double(values[(g * capacity + $1) * d + c]) }
            }
        }
        let best = ck_set_isa(9)
        for level in [nil] + [0, 2, 3].filter { $0 <= best }.map(Int32.init) {
            let out = attend(level: level)
            // NaN-aware: an output never written stays NaN, and NaN is never below the bound.
            let errors = zip(want, out).map { abs($0 - Double($1)) }
            let worst = errors.first { !($0 < 1e-5) }
            #expect(worst == nil, "\(precision), ISA level \(level.map(String.init) ?? "pool"): error \(worst ?? 0)")
        }
    }
}
