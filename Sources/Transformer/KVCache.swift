import Kernels

/// Keys and values of one layer for every position it has attended so far, laid out per kv head
/// (`[kvHeads][capacity][headDim]`) so that a head's keys form one matrix for the score product.
///
/// Keys are stored after the rotary embedding, in Float32, IEEE half or int8 with a scale per row
/// (`precision`). The capacity is set up front (`reserve`) and grows geometrically only when a batch of
/// positions would not fit, never inside the per-position work.
final class KVCache {
    let kvHeads: Int
    let headDim: Int
    let precision: KVPrecision
    private(set) var capacity: Int
    private(set) var count = 0
    private var keys: UnsafeMutableRawPointer
    private var values: UnsafeMutableRawPointer
    /// For `.int8`: each row's scale, `[kvHeads][capacity]` (empty otherwise).
    private var keyScaleRows: UnsafeMutablePointer<Float>
    private var valueScaleRows: UnsafeMutablePointer<Float>

    init(kvHeads: Int, headDim: Int, capacity: Int, precision: KVPrecision = .float32) {
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.precision = precision
        self.capacity = max(capacity, 1)
        let bytes = kvHeads * self.capacity * headDim * precision.bytes
        keys = .allocate(byteCount: bytes, alignment: 64)
        values = .allocate(byteCount: bytes, alignment: 64)
        let scaleRows = precision == .int8 ? kvHeads * self.capacity : 0
        keyScaleRows = .allocate(capacity: scaleRows)
        valueScaleRows = .allocate(capacity: scaleRows)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
        keyScaleRows.deallocate()
        valueScaleRows.deallocate()
    }

    /// Forgets the positions from `positions` on; the earlier ones stay as they are.
    func truncate(to positions: Int) { count = min(count, max(0, positions)) }

    /// Makes room for `positions` in total, copying what is cached into larger storage if needed.
    func reserve(_ positions: Int) {
        guard positions > capacity else { return }
        let grown = max(positions, capacity * 2)
        /// `[kvHeads][capacity]` entries of `bytes` each, moved into `[kvHeads][grown]`.
        func regrown(_ old: UnsafeMutableRawPointer, bytes: Int) -> UnsafeMutableRawPointer {
            let new = UnsafeMutableRawPointer.allocate(byteCount: kvHeads * grown * bytes, alignment: 64)
            for head in 0..<kvHeads {
                (new + head * grown * bytes).copyMemory(from: old + head * capacity * bytes, byteCount: count * bytes)
            }
            old.deallocate()
            return new
        }
        keys = regrown(keys, bytes: headDim * precision.bytes)
        values = regrown(values, bytes: headDim * precision.bytes)
        if precision == .int8 {
            let scale = MemoryLayout<Float>.size
            keyScaleRows = regrown(UnsafeMutableRawPointer(keyScaleRows), bytes: scale).assumingMemoryBound(to: Float.self)
            valueScaleRows = regrown(UnsafeMutableRawPointer(valueScaleRows), bytes: scale).assumingMemoryBound(to: Float.self)
        }
        capacity = grown
    }

    /// Replaces what the cache holds with the first `positions` positions of `other` (same geometry and precision).
    func copy(_ other: KVCache, positions: Int) {
        precondition(other.kvHeads == kvHeads && other.headDim == headDim && other.precision == precision, "caches differ")
        let n = min(positions, other.count)
        reserve(n)
        let rowBytes = headDim * precision.bytes
        for head in 0..<kvHeads {
            (keys + head * capacity * rowBytes).copyMemory(from: other.keys + head * other.capacity * rowBytes, byteCount: n * rowBytes)
            (values + head * capacity * rowBytes).copyMemory(from: other.values + head * other.capacity * rowBytes, byteCount: n * rowBytes)
            if precision == .int8 {
                (keyScaleRows + head * capacity).update(from: other.keyScaleRows + head * other.capacity, count: n)
                (valueScaleRows + head * capacity).update(from: other.valueScaleRows + head * other.capacity, count: n)
            }
        }
        count = n
    }

    /// Appends `rows` positions from row-major `[rows][kvHeads * headDim]` keys and values.
    func append(keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>, rows: Int) {
        precondition(count + rows <= capacity, "KV cache capacity exceeded (reserve first)")
        let width = kvHeads * headDim
        for r in 0..<rows {
            for head in 0..<kvHeads {
                let slot = head * capacity + count + r, source = r * width + head * headDim
                store(k + source, into: keys, scales: keyScaleRows, slot: slot)
                store(v + source, into: values, scales: valueScaleRows, slot: slot)
            }
        }
        count += rows
    }

    private func store(_ row: UnsafePointer<Float>, into storage: UnsafeMutableRawPointer, scales: UnsafeMutablePointer<Float>,
                       slot: Int) {
        let destination = storage + slot * headDim * precision.bytes
        switch precision {
        case .float32:
            destination.assumingMemoryBound(to: Float.self).update(from: row, count: headDim)
        case .float16:
            Convert.floatToF16(row, destination.assumingMemoryBound(to: UInt16.self), count: headDim)
        case .int8:
            Convert.floatToInt8Rows(row, rows: 1, width: headDim, into: destination.assumingMemoryBound(to: Int8.self),
                                    scales: scales + slot)
        }
    }

    /// `[count][headDim]` keys of one kv head (row stride `headDim`), in `precision`.
    func keys(head: Int) -> UnsafeRawPointer { UnsafeRawPointer(keys + head * capacity * headDim * precision.bytes) }
    func values(head: Int) -> UnsafeRawPointer { UnsafeRawPointer(values + head * capacity * headDim * precision.bytes) }
    /// For `.int8`: the row scales of one kv head's keys and values, `[count]` (nil otherwise).
    func keyScales(head: Int) -> UnsafePointer<Float>? { precision == .int8 ? UnsafePointer(keyScaleRows + head * capacity) : nil }
    func valueScales(head: Int) -> UnsafePointer<Float>? { precision == .int8 ? UnsafePointer(valueScaleRows + head * capacity) : nil }

    /// The first `rows` keys and values of one kv head as Float32 `[rows][headDim]` matrices: the cache
    /// itself, or for half and int8 storage converted into `scratch` (`2 · rows · headDim` floats).
    func floatRows(head: Int, rows: Int, scratch: UnsafeMutablePointer<Float>)
        -> (keys: UnsafePointer<Float>, values: UnsafePointer<Float>) {
        switch precision {
        case .float32:
            return (keys(head: head).assumingMemoryBound(to: Float.self), values(head: head).assumingMemoryBound(to: Float.self))
        case .float16:
            let n = rows * headDim
            Convert.f16ToFloat(keys(head: head).assumingMemoryBound(to: UInt16.self), scratch, count: n)
            Convert.f16ToFloat(values(head: head).assumingMemoryBound(to: UInt16.self), scratch + n, count: n)
            return (UnsafePointer(scratch), UnsafePointer(scratch + n))
        case .int8:
            let n = rows * headDim
            Convert.int8RowsToFloat(keys(head: head).assumingMemoryBound(to: Int8.self), scales: keyScaleRows + head * capacity,
                                    rows: rows, width: headDim, into: scratch)
            Convert.int8RowsToFloat(values(head: head).assumingMemoryBound(to: Int8.self), scales: valueScaleRows + head * capacity,
                                    rows: rows, width: headDim, into: scratch + n)
            return (UnsafePointer(scratch), UnsafePointer(scratch + n))
        }
    }
}
