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

    /// Runs one position in each of several sessions at once, each after the positions its own session has
    /// seen (`inputs[i]` holds one position, for `sessions[i]`), then evaluates `heads[i]` in each session.
    ///
    /// The weight products run over all the positions together, so a step of several generations reads
    /// each weight once (at batch 1 a step only waits on reading them); each position attends to its own
    /// session's cache alone. The positions run in the first session's workspace.
    public static func step(_ sessions: [Session], inputs: [ModelInput], heads: [OutputHead]) throws {
        precondition(sessions.count == inputs.count && sessions.count == heads.count, "one input and head per session")
        guard let lead = sessions.first else { return }
        for (session, input) in zip(sessions, inputs) {
            precondition(session.model === lead.model, "sessions of different models")
            guard input.count == 1 else { throw ModelInputError("a step runs one position per session, got \(input.count)") }
            try session.model.validate(input)
        }
        precondition(Set(sessions.map { ObjectIdentifier($0) }).count == sessions.count, "a session twice in one step")
        if sessions.count == 1 { return try lead.append(inputs[0], head: heads[0]) }
        let ws = lead.workspace, model = lead.model
        precondition(sessions.count <= ws.rows, "\(sessions.count) sessions in one step, the workspace holds \(ws.rows) rows")
        for session in sessions { session.reserve(session.count + 1) }
        ws.reserve(keys: sessions.map(\.capacity).max()!)

        let width = ws.hidden
        for (r, (session, input)) in zip(sessions, inputs).enumerated() {
            lead.embed(input, position: 0, row: r, at: session.count)
        }
        for (l, layer) in model.layers.enumerated() {
            layer.forward(ws.x.pointer, rows: sessions.count, rope: model.rope,
                          caches: .perRow(sessions.map { $0.caches[l] }), workspace: ws)
        }
        // The heads run in each session's own workspace: they are a small part of a step's weights.
        for (r, session) in sessions.enumerated() {
            session.count += 1
            session.lastRow = 0
            if r > 0 { session.workspace.x.pointer.update(from: ws.x.pointer + r * width, count: width) }
            session.evaluate(heads[r])
        }
    }

    /// Runs positions `positions` of `input` (at most `workspace.rows`) through every layer; the final
    /// residual rows are left in `workspace.x`.
    func run(_ input: ModelInput, positions: Range<Int>, recorder: Recorder?) {
        let ws = workspace
        for (r, p) in positions.enumerated() { embed(input, position: p, row: r, at: count + r) }
        let rows = positions.count
        recorder?.record(stage: 0, ws.x.pointer, rows: rows)
        for (l, layer) in model.layers.enumerated() {
            layer.forward(ws.x.pointer, rows: rows, rope: model.rope, caches: .sequence(caches[l]), workspace: ws)
            recorder?.record(stage: l + 1, ws.x.pointer, rows: rows)
        }
        count += rows
    }

    /// Takes over the first `positions` positions `other` holds (`other`'s keys and values for them), in
    /// place of what this session held: a second generation from the same start need not prefill it again.
    /// Taking over all of them takes over the last position's logits and final residual too.
    public func continueFrom(_ other: Session, positions: Int) {
        precondition(other.model === model, "sessions of different models")
        let n = min(max(0, positions), other.count)
        reserve(n)
        for (mine, theirs) in zip(caches, other.caches) { mine.copy(theirs, positions: n) }
        count = n
        guard n == other.count, n > 0 else { return }
        let ws = workspace, theirs = other.workspace
        ws.x.pointer.update(from: theirs.x.pointer + other.lastRow * theirs.hidden, count: ws.hidden)
        lastRow = 0
        ws.textLogits.pointer.update(from: theirs.textLogits.pointer, count: ws.textLogits.count)
        ws.audioLogits.pointer.update(from: theirs.audioLogits.pointer, count: ws.audioLogits.count)
    }

    /// Puts position `p` of `input` into row `r` of the workspace: its embedding, its kind and the rotary
    /// angles of sequence position `sequencePosition`.
    private func embed(_ input: ModelInput, position p: Int, row r: Int, at sequencePosition: Int) {
        let ws = workspace, half = model.rope.half
        let row = ws.x.pointer + r * ws.hidden
        ws.isAudio[r] = input.kinds[p].isAudio
        if input.kinds[p] == .text {
            model.tokenEmbedding.lookup(input.tokens[p], into: row)
        } else {
            model.audioEmbedding.embed(input.codes, at: p * input.numCodebooks, into: row, scratch: ws.embedding.pointer)
        }
        model.rope.angles(position: sequencePosition, cos: ws.cos.pointer + r * half, sin: ws.sin.pointer + r * half)
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
