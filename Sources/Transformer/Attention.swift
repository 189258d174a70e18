import Kernels

/// Where the rows a layer runs keep their keys and values.
enum RowCaches {
    /// The rows are consecutive positions of one sequence, following what its cache holds.
    case sequence(KVCache)
    /// Row `r` is the next position of its own sequence, whose cache is `caches[r]` (several
    /// generations stepping together, see `Session.step`).
    case perRow([KVCache])

    /// The caches of the rows listed in `rowIndex` (their first `n`), for a layer that runs a subset of the rows.
    func gathered(_ rowIndex: UnsafePointer<Int>, count n: Int) -> RowCaches {
        switch self {
        case .sequence: return self
        case .perRow(let caches): return .perRow((0..<n).map { caches[rowIndex[$0]] })
        }
    }

    /// How the caches store their rows (the same for every cache of a model).
    var precision: KVPrecision {
        switch self {
        case .sequence(let cache): return cache.precision
        case .perRow(let caches): return caches[0].precision
        }
    }
}

/// Causal grouped-query self-attention: `heads` query heads share `kvHeads` key/value heads
/// (`heads / kvHeads` queries per kv head), scores scaled by `1/sqrt(headDim)`, softmax in Float32.
struct Attention {
    let query: Matrix   // [heads * headDim, hidden]
    let key: Matrix     // [kvHeads * headDim, hidden]
    let value: Matrix   // [kvHeads * headDim, hidden]
    let output: Matrix  // [hidden, heads * headDim]
    let heads: Int
    let kvHeads: Int
    let headDim: Int

    var scale: Float { 1 / Float(headDim).squareRoot() }

    /// Attends `rows` new positions (normalised input `h`, `[rows][hidden]`) to their cached positions (and,
    /// for a sequence, to each other), appends their keys and values to their caches, and writes the
    /// projected result to `out` (`[rows][hidden]`).
    func callAsFunction(
        _ h: UnsafePointer<Float>, rows m: Int,
        cos: UnsafePointer<Float>, sin: UnsafePointer<Float>, rope: RotaryEmbedding,
        caches: RowCaches, workspace ws: Workspace, into out: UnsafeMutablePointer<Float>
    ) {
        let d = headDim, queryWidth = heads * d, keyWidth = kvHeads * d, half = d / 2
        Linear.apply(query, key, value, input: h, count: m, outputs: (ws.q.pointer, ws.k.pointer, ws.v.pointer),
                     scratch: ws.tile.pointer)
        for r in 0..<m {
            rope.rotate(ws.q.pointer + r * queryWidth, heads: heads, cos: cos + r * half, sin: sin + r * half)
            rope.rotate(ws.k.pointer + r * keyWidth, heads: kvHeads, cos: cos + r * half, sin: sin + r * half)
        }
        // Over an int8 cache the queries are int8 too, one scale per head (the decode kernel multiplies
        // bytes); the batched path rounds them the same way, so both compute the same scores.
        if caches.precision == .int8 { Convert.roundRowsToInt8(ws.q.pointer, count: m * heads, width: d) }
        let cache: KVCache
        switch caches {
        case .sequence(let sequence):
            cache = sequence
        case .perRow(let rowCaches):
            // Each row is one decoding step of its own sequence.
            for (r, rowCache) in rowCaches.prefix(m).enumerated() {
                rowCache.append(keys: ws.k.pointer + r * keyWidth, values: ws.v.pointer + r * keyWidth, rows: 1)
                attendOne(ws.q.pointer + r * queryWidth, cache: rowCache, workspace: ws, into: ws.context.pointer + r * queryWidth)
            }
            Linear.apply(output, input: ws.context.pointer, count: m, output: out, scratch: ws.tile.pointer)
            return
        }
        let past = cache.count
        cache.append(keys: ws.k.pointer, values: ws.v.pointer, rows: m)
        if m == 1 {
            attendOne(ws.q.pointer, cache: cache, workspace: ws, into: ws.context.pointer)
            Linear.apply(output, input: ws.context.pointer, count: 1, output: out, scratch: ws.tile.pointer)
            return
        }
        // The kv heads split across the pool's threads, each with its own scores and cached rows; a
        // thread's products and softmaxes run on it alone.
        let group = heads / kvHeads, lanes = min(ws.lanes, ThreadPool.shared.threads)
        ThreadPool.shared.run(tasks: lanes) { lane in
            let scores = ws.scores(lane: lane)
            for kvHead in kvHeads * lane / lanes..<kvHeads * (lane + 1) / lanes {
                let cached = cache.floatRows(head: kvHead, rows: past + m, scratch: ws.cachedRows(lane: lane))
                for head in kvHead * group..<(kvHead + 1) * group {
                    // Query rows in blocks; a block's rows see at most the keys up to its last row.
                    var blockStart = 0
                    while blockStart < m {
                        let rows = min(Workspace.scoreRows, m - blockStart)
                        let keys = past + blockStart + rows
                        // scores[i][j] = scale * q_i . k_j
                        BLAS.gemm(transposeB: true, m: rows, n: keys, k: d, alpha: scale,
                                  a: ws.q.pointer + blockStart * queryWidth + head * d, lda: queryWidth,
                                  b: cached.keys, ldb: d, c: scores, ldc: keys)
                        for i in 0..<rows {
                            let row = scores + i * keys
                            let visible = past + blockStart + i + 1
                            Vector.attentionSoftmax(row, count: visible)
                            if visible < keys { (row + visible).update(repeating: 0, count: keys - visible) }
                        }
                        BLAS.gemm(m: rows, n: d, k: keys, a: scores, lda: keys, b: cached.values, ldb: d,
                                  c: ws.context.pointer + blockStart * queryWidth + head * d, ldc: queryWidth)
                        blockStart += rows
                    }
                }
            }
        }
        Linear.apply(output, input: ws.context.pointer, count: m, output: out, scratch: ws.tile.pointer)
    }

    /// One position's query (`[heads][headDim]`) against every key in `cache`, its own included: the
    /// decoding kernel, with the workspace's scores as its scratch.
    private func attendOne(_ q: UnsafePointer<Float>, cache: KVCache, workspace ws: Workspace, into context: UnsafeMutablePointer<Float>) {
        DecodeAttention.attend(query: q, keys: cache.keys(head: 0), values: cache.values(head: 0),
                               precision: cache.precision, keyScales: cache.keyScales(head: 0),
                               valueScales: cache.valueScales(head: 0), output: context, scores: ws.scores.pointer,
                               scoreCapacity: ws.scores.count,
                               heads: heads, kvHeads: kvHeads, headDim: headDim, capacity: cache.capacity, keyCount: cache.count,
                               scale: scale)
    }
}

/// The SwiGLU feed-forward block: `down(silu(gate(x)) * up(x))`.
struct FeedForward {
    let gate: Matrix  // [intermediate, hidden]
    let up: Matrix    // [intermediate, hidden]
    let down: Matrix  // [hidden, intermediate]

    func callAsFunction(_ h: UnsafePointer<Float>, rows m: Int, workspace ws: Workspace, into out: UnsafeMutablePointer<Float>) {
        Linear.apply(gate, up, input: h, count: m, outputs: (ws.gate.pointer, ws.up.pointer, nil), scratch: ws.tile.pointer)
        Vector.swiGLU(gate: ws.gate.pointer, up: ws.up.pointer, count: m * gate.rows)
        Linear.apply(down, input: ws.gate.pointer, count: m, output: out, scratch: ws.tile.pointer)
    }
}
