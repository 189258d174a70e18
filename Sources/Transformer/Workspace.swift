import Kernels

/// Scratch memory for running up to `rows` positions at a time, allocated once per session so that
/// neither prefill nor decoding allocates per position.
final class Workspace {
    let rows: Int
    let hidden: Int

    /// The residual stream of the positions being run, `[rows][hidden]`.
    let x: FloatBuffer
    /// Normalised rows, `[rows][hidden]`.
    let h: FloatBuffer
    /// Output of an attention or feed-forward block before it is added to the residual, `[rows][hidden]`.
    let projected: FloatBuffer
    /// Rows gathered out of `x` (a subset of positions), `[rows][hidden]`.
    let gathered: FloatBuffer
    /// Queries and the attention context, `[rows][heads * headDim]`; keys and values `[rows][kvHeads * headDim]`.
    let q, context, k, v: FloatBuffer
    /// The feed-forward's gate and up projections, `[rows][intermediate]`.
    let gate, up: FloatBuffer
    /// Rotary cos/sin of each row's position, `[rows][headDim / 2]`, and of the gathered rows.
    let cos, sin, gatheredCos, gatheredSin: FloatBuffer
    /// One embedding row.
    let embedding: FloatBuffer
    /// Which rows are audio positions, and the indices of the rows being gathered.
    let isAudio: UnsafeMutablePointer<Bool>
    let rowIndex: UnsafeMutablePointer<Int>
    /// Weight tiles converted to Float32 for the batched products.
    let tile: FloatBuffer
    /// Threads that run the batched attention at once, each on its own kv heads with its own
    /// `scores` and `cachedRows` (the pool's size when the workspace was made).
    let lanes: Int
    /// Attention scores of one head for a block of query rows, `[lanes][scoreRows][keys]`; grows with
    /// the KV cache. Decoding uses all of it as its scratch.
    private(set) var scores: FloatBuffer
    static let scoreRows = 32
    /// Float32 copies of one kv head's cached keys and values for the batched score products when the
    /// cache stores halves or int8, `[lanes][2][keys][headDim]`; grows with the KV cache (empty for a Float32 cache).
    private(set) var cachedRows: FloatBuffer
    private let cachedRowFloats: Int
    private var keys: Int
    /// Logits of the last position.
    let textLogits: FloatBuffer
    let audioLogits: FloatBuffer

    init(configuration: Configuration, rows: Int, keys: Int, tileFloats: Int, cache: KVPrecision) {
        let t = configuration.text
        self.rows = rows
        hidden = t.hiddenSize
        x = FloatBuffer(count: rows * t.hiddenSize)
        h = FloatBuffer(count: rows * t.hiddenSize)
        projected = FloatBuffer(count: rows * t.hiddenSize)
        gathered = FloatBuffer(count: rows * t.hiddenSize)
        q = FloatBuffer(count: rows * t.numAttentionHeads * t.headDim)
        context = FloatBuffer(count: rows * t.numAttentionHeads * t.headDim)
        k = FloatBuffer(count: rows * t.numKeyValueHeads * t.headDim)
        v = FloatBuffer(count: rows * t.numKeyValueHeads * t.headDim)
        gate = FloatBuffer(count: rows * t.intermediateSize)
        up = FloatBuffer(count: rows * t.intermediateSize)
        cos = FloatBuffer(count: rows * t.headDim / 2)
        sin = FloatBuffer(count: rows * t.headDim / 2)
        gatheredCos = FloatBuffer(count: rows * t.headDim / 2)
        gatheredSin = FloatBuffer(count: rows * t.headDim / 2)
        embedding = FloatBuffer(count: t.hiddenSize)
        isAudio = .allocate(capacity: rows)
        isAudio.initialize(repeating: false, count: rows)
        rowIndex = .allocate(capacity: rows)
        rowIndex.initialize(repeating: 0, count: rows)
        tile = FloatBuffer(count: tileFloats)
        lanes = max(1, min(ThreadPool.shared.threads, t.numKeyValueHeads))
        self.keys = keys
        scores = FloatBuffer(count: lanes * Self.scoreRows * keys)
        cachedRowFloats = cache == .float32 ? 0 : 2 * t.headDim
        cachedRows = FloatBuffer(count: lanes * cachedRowFloats * keys)
        textLogits = FloatBuffer(count: t.vocabSize)
        audioLogits = FloatBuffer(count: configuration.audioNumCodebooks * configuration.audioCodebookEntries)
    }

    deinit {
        isAudio.deallocate()
        rowIndex.deallocate()
    }

    /// Makes the score buffers hold `keys` keys per row.
    func reserve(keys: Int) {
        guard keys > self.keys else { return }
        self.keys = keys
        scores = FloatBuffer(count: lanes * Self.scoreRows * keys)
        cachedRows = FloatBuffer(count: lanes * cachedRowFloats * keys)
    }

    /// Lane `lane`'s score rows, `[scoreRows][keys]`.
    func scores(lane: Int) -> UnsafeMutablePointer<Float> { scores.pointer + lane * Self.scoreRows * keys }

    /// Lane `lane`'s scratch for one kv head's cached rows as Float32.
    func cachedRows(lane: Int) -> UnsafeMutablePointer<Float> { cachedRows.pointer + lane * cachedRowFloats * keys }

    /// Collects into `rowIndex` the rows among the first `count` whose audio flag equals `audio`; returns how many.
    func collect(audio: Bool, count: Int) -> Int {
        var n = 0
        for r in 0..<count where isAudio[r] == audio {
            rowIndex[n] = r
            n += 1
        }
        return n
    }

    /// Copies the `n` rows listed in `rowIndex` out of `source` (rows `width` wide) into consecutive rows of `destination`.
    func gather(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, rows n: Int, width: Int) {
        for i in 0..<n {
            (destination + i * width).update(from: source + rowIndex[i] * width, count: width)
        }
    }

    /// Copies consecutive rows of `source` back to the rows listed in `rowIndex`.
    func scatter(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, rows n: Int, width: Int) {
        for i in 0..<n {
            (destination + rowIndex[i] * width).update(from: source + i * width, count: width)
        }
    }

    /// Adds consecutive rows of `source` to the rows listed in `rowIndex`.
    func scatterAdd(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, rows n: Int, width: Int) {
        for i in 0..<n {
            Vector.add(source + i * width, into: destination + rowIndex[i] * width, count: width)
        }
    }
}
