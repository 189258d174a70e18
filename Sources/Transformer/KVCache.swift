import Kernels

/// Keys and values of one layer for every position it has attended so far, laid out per kv head
/// (`[kvHeads][capacity][headDim]`) so that a head's keys form one matrix for the score product.
///
/// Keys are stored after the rotary embedding. The capacity is set up front (`reserve`) and grows
/// geometrically only when a batch of positions would not fit, never inside the per-position work.
final class KVCache {
    let kvHeads: Int
    let headDim: Int
    private(set) var capacity: Int
    private(set) var count = 0
    private var keys: UnsafeMutablePointer<Float>
    private var values: UnsafeMutablePointer<Float>

    init(kvHeads: Int, headDim: Int, capacity: Int) {
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.capacity = max(capacity, 1)
        let n = kvHeads * self.capacity * headDim
        keys = .allocate(capacity: n)
        values = .allocate(capacity: n)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    func reset() { count = 0 }

    /// Makes room for `positions` in total, copying what is cached into larger storage if needed.
    func reserve(_ positions: Int) {
        guard positions > capacity else { return }
        let grown = max(positions, capacity * 2)
        let n = kvHeads * grown * headDim
        let newKeys = UnsafeMutablePointer<Float>.allocate(capacity: n)
        let newValues = UnsafeMutablePointer<Float>.allocate(capacity: n)
        for head in 0..<kvHeads {
            newKeys.advanced(by: head * grown * headDim).update(from: keys + head * capacity * headDim, count: count * headDim)
            newValues.advanced(by: head * grown * headDim).update(from: values + head * capacity * headDim, count: count * headDim)
        }
        keys.deallocate()
        values.deallocate()
        keys = newKeys
        values = newValues
        capacity = grown
    }

    /// Appends `rows` positions from row-major `[rows][kvHeads * headDim]` keys and values.
    func append(keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>, rows: Int) {
        precondition(count + rows <= capacity, "KV cache capacity exceeded (reserve first)")
        let width = kvHeads * headDim
        for r in 0..<rows {
            for head in 0..<kvHeads {
                let slot = (head * capacity + count + r) * headDim
                (keys + slot).update(from: k + r * width + head * headDim, count: headDim)
                (values + slot).update(from: v + r * width + head * headDim, count: headDim)
            }
        }
        count += rows
    }

    /// `[count][headDim]` keys of one kv head (row stride `headDim`).
    func keys(head: Int) -> UnsafePointer<Float> { UnsafePointer(keys + head * capacity * headDim) }
    func values(head: Int) -> UnsafePointer<Float> { UnsafePointer(values + head * capacity * headDim) }
}
