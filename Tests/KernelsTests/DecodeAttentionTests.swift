import Foundation
import Kernels
import Testing

/// The fused decode attention against the definition computed in Double.
@Suite struct DecodeAttentionTests {
    @Test(arguments: [(8, 2, 128, 600), (24, 8, 128, 1), (4, 4, 64, 37), (3, 1, 24, 9), (6, 3, 16, 300)])
    func matchesTheDefinition(heads: Int, kvHeads: Int, headDim d: Int, keyCount: Int) {
        var rng = SystemRandomNumberGenerator()
        let capacity = keyCount + 5
        func random(_ n: Int, _ spread: Float) -> [Float] { (0..<n).map { _ in Float.random(in: -spread...spread, using: &rng) } }
        let q = random(heads * d, 2), keys = random(kvHeads * capacity * d, 2), values = random(kvHeads * capacity * d, 1)
        var out = [Float](repeating: .nan, count: heads * d)
        var scores = [Float](repeating: 0, count: 4 * keyCount)
        let scale = 1 / Float(d).squareRoot()
        q.withUnsafeBufferPointer { q in keys.withUnsafeBufferPointer { k in values.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in scores.withUnsafeMutableBufferPointer { s in
                DecodeAttention.attend(query: q.baseAddress!, keys: k.baseAddress!, values: v.baseAddress!, output: o.baseAddress!,
                                       scores: s.baseAddress!, scoreCapacity: s.count, heads: heads, kvHeads: kvHeads,
                                       headDim: d, capacity: capacity, keyCount: keyCount, scale: scale)
            } }
        } } }
        var largest = 0.0
        for h in 0..<heads {
            let g = h / (heads / kvHeads)
            let s = (0..<keyCount).map { j in
                (0..<d).reduce(0.0) { $0 + Double(q[h * d + $1]) * Double(keys[(g * capacity + j) * d + $1]) } * Double(scale)
            }
            let top = s.max()!
            let e = s.map { Foundation.exp($0 - top) }
            let total = e.reduce(0, +)
            for c in 0..<d {
                let want = (0..<keyCount).reduce(0.0) { $0 + e[$1] / total * Double(values[(g * capacity + $1) * d + c]) }
                largest = max(largest, abs(want - Double(out[h * d + c])))
            }
        }
        #expect(largest < 1e-5)
    }
}
