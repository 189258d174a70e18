/// The positions the model reads, after audio placeholders are expanded: a text token, or one frame of
/// audio codes (one code per codebook, in the stream's delayed layout, bos/eos codes included).
///
/// Audio-in positions (an `<|AUDIO|>` clip) and audio-out positions (an `<|AUDIO_OUT|>` clip, earlier
/// output, or the frame just generated) are embedded the same way and both take the audio path of the
/// DualFFN layers; only audio-out positions are read by the audio head. Stored as parallel arrays so that
/// building and reading it does not allocate per position.
public struct ModelInput: Equatable, Sendable {
    public enum Kind: UInt8, Sendable {
        case text, audioIn, audioOut

        public var isAudio: Bool { self != .text }
    }

    public let numCodebooks: Int
    public private(set) var kinds: [Kind] = []
    /// The token id of each text position; -1 at audio positions.
    public private(set) var tokens: [Int] = []
    /// `numCodebooks` codes per position (codebook-major within a position); -1 at text positions.
    public private(set) var codes: [Int] = []

    public init(numCodebooks: Int) {
        self.numCodebooks = numCodebooks
    }

    public var count: Int { kinds.count }
    public var isEmpty: Bool { kinds.isEmpty }

    public mutating func appendText(_ token: Int) {
        kinds.append(.text)
        tokens.append(token)
        for _ in 0..<numCodebooks { codes.append(-1) }
    }

    /// Appends one audio position; `frame` holds one code per codebook.
    public mutating func appendAudio(_ kind: Kind, frame: some Collection<Int>) {
        precondition(kind.isAudio, "appendAudio needs an audio kind")
        precondition(frame.count == numCodebooks, "an audio position needs \(numCodebooks) codes, got \(frame.count)")
        kinds.append(kind)
        tokens.append(-1)
        codes.append(contentsOf: frame)
    }

    /// The codes of the audio position `position`.
    public func frame(at position: Int) -> ArraySlice<Int> {
        codes[position * numCodebooks..<(position + 1) * numCodebooks]
    }

    /// How many leading positions this input shares with `other` (same kind, token and codes).
    public func sharedPrefixCount(with other: ModelInput) -> Int {
        guard numCodebooks == other.numCodebooks else { return 0 }
        var n = 0
        while n < count && n < other.count && kinds[n] == other.kinds[n] && tokens[n] == other.tokens[n]
                && frame(at: n) == other.frame(at: n) {
            n += 1
        }
        return n
    }

    /// Positions `range` as an input of their own.
    public func positions(_ range: Range<Int>) -> ModelInput {
        var part = ModelInput(numCodebooks: numCodebooks)
        part.kinds = Array(kinds[range])
        part.tokens = Array(tokens[range])
        part.codes = Array(codes[range.lowerBound * numCodebooks..<range.upperBound * numCodebooks])
        return part
    }

    /// Empties the input, keeping its storage (for per-step reuse).
    public mutating func removeAll() {
        kinds.removeAll(keepingCapacity: true)
        tokens.removeAll(keepingCapacity: true)
        codes.removeAll(keepingCapacity: true)
    }

    public mutating func reserveCapacity(_ positions: Int) {
        kinds.reserveCapacity(positions)
        tokens.reserveCapacity(positions)
        codes.reserveCapacity(positions * numCodebooks)
    }
}

/// An input the model cannot read (a token outside the vocabulary, a code outside a codebook, ...).
public struct ModelInputError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
