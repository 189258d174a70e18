import Kernels

/// Which head to evaluate on the last position of an `append`.
public enum OutputHead: Sendable {
    case none
    /// `text_lm_head`: one logit per vocabulary token.
    case text
    /// `audio_lm_head`: `codebooks x (codebook size + 2)` logits.
    case audio
}

/// A running sequence of the model: its KV cache and scratch memory.
///
/// `append` runs a batch of positions after those already seen (a whole prompt in one call, then one
/// position per decoding step), in chunks of at most `chunkRows` positions so that each chunk's weight
/// products are matrix-matrix. Memory is sized at creation and by `reserve`; appending does not allocate
/// unless it must grow the cache.
public final class Session {
    public let model: Model
    /// Positions seen so far.
    public private(set) var count = 0
    let workspace: Workspace
    let caches: [KVCache]
    private(set) var capacity: Int
    /// Row of `workspace.x` holding the last position's final residual.
    private var lastRow = 0

    /// `cachePrecision` defaults to the model's choice (`Model.cachePrecision`).
    public init(model: Model, capacity: Int = 1024, chunkRows: Int = 256, cachePrecision: KVPrecision? = nil) {
        let t = model.configuration.text
        self.model = model
        self.capacity = max(capacity, 1)
        let cache = cachePrecision ?? model.cachePrecision
        workspace = Workspace(configuration: model.configuration, rows: max(chunkRows, 1), keys: self.capacity,
                              tileFloats: model.tileFloats(rows: max(chunkRows, 1)), cache: cache)
        caches = (0..<t.numHiddenLayers).map { _ in
            KVCache(kvHeads: t.numKeyValueHeads, headDim: t.headDim, capacity: max(capacity, 1), precision: cache)
        }
    }

    /// Forgets every position (the memory stays).
    public func reset() { truncate(to: 0) }

    /// Forgets the positions from `positions` on. What is cached for the earlier ones stays valid (each
    /// position's keys and values depend only on the positions before it), so a new input that starts
    /// the same way can go on from there. The logits are stale until the next `append`.
    public func truncate(to positions: Int) {
        count = min(count, max(0, positions))
        for cache in caches { cache.truncate(to: count) }
    }

    /// Positions per batch of an `append`: a prompt runs in chunks of this many from its first position.
    public var chunkRows: Int { workspace.rows }

    /// Makes room for `positions` positions in total, so that appending up to there does not allocate.
    public func reserve(_ positions: Int) {
        guard positions > capacity else { return }
        capacity = max(positions, capacity * 2)
        for cache in caches { cache.reserve(capacity) }
        workspace.reserve(keys: capacity)
    }

    /// Runs `input` after the positions seen so far and evaluates `head` on its last position.
    public func append(_ input: ModelInput, head: OutputHead = .none) throws {
        try model.validate(input)
        guard !input.isEmpty else { return }
        reserve(count + input.count)
        var start = 0, rows = 0
        while start < input.count {
            rows = min(workspace.rows, input.count - start)
            run(input, positions: start..<start + rows, recorder: nil)
            start += rows
        }
        lastRow = rows - 1
        evaluate(head)
    }

    /// Evaluates `head` on the last position appended (its logits replace the previous ones).
    public func evaluate(_ head: OutputHead) {
        guard count > 0 else { return }
        evaluate(head, row: workspace.x.pointer + lastRow * workspace.hidden)
    }

    /// Logits of the last `.text` evaluation (`vocabSize` values).
    public var textLogits: UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: workspace.textLogits.pointer, count: workspace.textLogits.count)
    }

    /// Logits of the last `.audio` evaluation, `[codebook][entry]`.
    public var audioLogits: UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: workspace.audioLogits.pointer, count: workspace.audioLogits.count)
    }

    /// Runs positions `positions` of `input` (at most `workspace.rows`) through every layer; the final
    /// residual rows are left in `workspace.x`.
    func run(_ input: ModelInput, positions: Range<Int>, recorder: Recorder?) {
        let ws = workspace
        let width = ws.hidden, half = model.rope.half
        for (r, p) in positions.enumerated() {
            let row = ws.x.pointer + r * width
            let kind = input.kinds[p]
            ws.isAudio[r] = kind.isAudio
            if kind == .text {
                model.tokenEmbedding.lookup(input.tokens[p], into: row)
            } else {
                model.audioEmbedding.embed(input.codes, at: p * input.numCodebooks, into: row, scratch: ws.embedding.pointer)
            }
            model.rope.angles(position: count + r, cos: ws.cos.pointer + r * half, sin: ws.sin.pointer + r * half)
        }
        let rows = positions.count
        recorder?.record(stage: 0, ws.x.pointer, rows: rows)
        for (l, layer) in model.layers.enumerated() {
            layer.forward(ws.x.pointer, rows: rows, rope: model.rope, cache: caches[l], workspace: ws)
            recorder?.record(stage: l + 1, ws.x.pointer, rows: rows)
        }
        count += rows
    }

    /// Final norm and `head` on one residual row.
    func evaluate(_ head: OutputHead, row: UnsafePointer<Float>) {
        let ws = workspace
        switch head {
        case .none:
            return
        case .text:
            model.norm.apply(row, into: ws.h.pointer)
            Linear.apply(model.textHead, input: ws.h.pointer, count: 1, output: ws.textLogits.pointer, scratch: ws.tile.pointer)
        case .audio:
            model.norm.apply(row, into: ws.h.pointer)
            Linear.apply(model.audioHead, input: ws.h.pointer, count: 1, output: ws.audioLogits.pointer, scratch: ws.tile.pointer)
        }
    }
}
