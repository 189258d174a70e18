/// Audio codes of one clip: `rows[k][t]` is the code of codebook `k` at frame `t` (the reference's
/// `(num_codebooks, frames)` layout, and the layout of the codes file).
public struct AudioCodes: Equatable, Sendable, Codable {
    public private(set) var rows: [[Int]]

    /// An empty clip of `numCodebooks` codebooks.
    public init(numCodebooks: Int) {
        rows = Array(repeating: [], count: numCodebooks)
    }

    /// A clip from codebook rows, which must all have the same length.
    public init(rows: [[Int]]) throws {
        guard let first = rows.first else { throw GenerationError("audio codes need at least one codebook") }
        if let bad = rows.firstIndex(where: { $0.count != first.count }) {
            throw GenerationError("audio codes: codebook \(bad) has \(rows[bad].count) frames, codebook 0 has \(first.count)")
        }
        self.rows = rows
    }

    public init(from decoder: Decoder) throws {
        try self.init(rows: try decoder.singleValueContainer().decode([[Int]].self))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rows)
    }

    public var numCodebooks: Int { rows.count }
    public var frameCount: Int { rows.first?.count ?? 0 }

    public subscript(codebook: Int, frame: Int) -> Int { rows[codebook][frame] }

    /// The codes of frame `t`, one per codebook.
    public func frame(_ t: Int) -> [Int] { rows.map { $0[t] } }

    /// Appends one frame (one code per codebook).
    public mutating func append(frame: some Collection<Int>) {
        precondition(frame.count == numCodebooks, "a frame needs \(numCodebooks) codes, got \(frame.count)")
        for (k, code) in frame.enumerated() { rows[k].append(code) }
    }

    /// Appends every frame of `other`.
    public mutating func append(contentsOf other: AudioCodes) {
        precondition(other.numCodebooks == numCodebooks, "codebook counts differ")
        for k in 0..<numCodebooks { rows[k].append(contentsOf: other.rows[k]) }
    }

    public mutating func reserveCapacity(frames: Int) {
        for k in 0..<numCodebooks { rows[k].reserveCapacity(frames) }
    }

    /// Frames `range` as a clip of their own.
    public func frames(_ range: Range<Int>) -> AudioCodes {
        var part = AudioCodes(numCodebooks: numCodebooks)
        for k in 0..<numCodebooks { part.rows[k] = Array(rows[k][range]) }
        return part
    }
}

/// A generation input or state the reference cannot run either: one line naming the problem.
public struct GenerationError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
