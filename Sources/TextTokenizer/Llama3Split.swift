/// The character classes the Llama 3 split pattern uses, as the reference's regex engine sees them.
enum ScalarClass: UInt8 {
    case other = 0
    case letter  // \p{L}
    case number  // \p{N}
    case whitespace  // \s: the Unicode White_Space property
}

extension ScalarClass {
    /// The reference (`tokenizers` 0.20) matches with Oniguruma 6.9.8, whose tables are Unicode 14.0:
    /// characters assigned since are unassigned there, hence `other`, even where Swift knows them as letters.
    static let unicodeVersion = (major: 14, minor: 0)

    static func of(_ scalar: Unicode.Scalar) -> ScalarClass {
        let properties = scalar.properties
        guard let age = properties.age,
              age.major < unicodeVersion.major || (age.major == unicodeVersion.major && age.minor <= unicodeVersion.minor)
        else { return .other }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return properties.isWhitespace ? .whitespace : .other
        }
    }

    /// Classes of the Basic Multilingual Plane, looked up once (a few ms); other planes are classified on use.
    static let basicPlane: [ScalarClass] = (0..<0x10000).map { value in
        Unicode.Scalar(UInt32(value)).map(ScalarClass.of) ?? .other
    }

    @inline(__always)
    static func of(value: UInt32) -> ScalarClass {
        if value < 0x10000 { return basicPlane[Int(value)] }
        return Unicode.Scalar(value).map(ScalarClass.of) ?? .other
    }
}

/// The Split pre-tokenizer of Llama 3, scanning UTF-8 by hand. The pattern, tried alternative by
/// alternative at each position (leftmost-first, as a backtracking regex engine does):
///
///     (?i:'s|'t|'re|'ve|'m|'ll|'d)      contractions
///     [^\r\n\p{L}\p{N}]?\p{L}+          a word, with one leading space or symbol
///     \p{N}{1,3}                        up to three digits
///      ?[^\s\p{L}\p{N}]+[\r\n]*         punctuation, with one leading space and trailing newlines
///     \s*[\r\n]+                        whitespace up to the last newline
///     \s+(?!\S)                         whitespace, leaving the last one for the next word
///     \s+
///
/// The text must be valid UTF-8 (it comes from a Swift `String`).
struct Llama3Split {
    private static let carriageReturn: UInt8 = 0x0D
    private static let lineFeed: UInt8 = 0x0A
    private static let space: UInt8 = 0x20
    private static let apostrophe: UInt8 = 0x27

    let text: UnsafeBufferPointer<UInt8>
    /// The end of the segment being split (special tokens split the text first; each segment ends the pattern's text).
    let end: Int

    @inline(__always)
    private func scalar(at index: Int) -> (value: UInt32, length: Int) {
        let lead = text[index]
        if lead < 0x80 { return (UInt32(lead), 1) }
        if lead < 0xE0 { return (UInt32(lead & 0x1F) << 6 | UInt32(text[index + 1] & 0x3F), 2) }
        if lead < 0xF0 {
            return (UInt32(lead & 0x0F) << 12 | UInt32(text[index + 1] & 0x3F) << 6 | UInt32(text[index + 2] & 0x3F), 3)
        }
        return (UInt32(lead & 0x07) << 18 | UInt32(text[index + 1] & 0x3F) << 12
                    | UInt32(text[index + 2] & 0x3F) << 6 | UInt32(text[index + 3] & 0x3F), 4)
    }

    @inline(__always)
    private func classAt(_ index: Int) -> (kind: ScalarClass, length: Int) {
        let (value, length) = scalar(at: index)
        return (ScalarClass.of(value: value), length)
    }

    /// The end of the piece starting at `start` (< `end`).
    func pieceEnd(from start: Int) -> Int {
        let first = text[start]
        if first == Self.apostrophe, let contractionEnd = contractionEnd(after: start + 1) {
            return contractionEnd
        }
        let (kind, length) = classAt(start)
        // A word, with one optional leading character that is neither a newline, a letter nor a number.
        if kind == .letter { return run(of: .letter, from: start + length) }
        if kind != .number && first != Self.carriageReturn && first != Self.lineFeed && start + length < end {
            let (next, nextLength) = classAt(start + length)
            if next == .letter { return run(of: .letter, from: start + length + nextLength) }
        }
        if kind == .number {
            var index = start + length
            for _ in 0..<2 where index < end {
                let (next, nextLength) = classAt(index)
                guard next == .number else { break }
                index += nextLength
            }
            return index
        }
        // Punctuation, with one optional leading space, then any newlines.
        var symbolsStart = start
        if first == Self.space && start + 1 < end && classAt(start + 1).kind == .other { symbolsStart = start + 1 }
        if symbolsStart > start || kind == .other {
            var index = run(of: .other, from: symbolsStart)
            while index < end && (text[index] == Self.carriageReturn || text[index] == Self.lineFeed) { index += 1 }
            return index
        }
        // Whitespace (the only class left).
        var index = start
        var lastScalarStart = start
        var afterLastNewline = -1
        while index < end {
            let (next, nextLength) = classAt(index)
            guard next == .whitespace else { break }
            if text[index] == Self.carriageReturn || text[index] == Self.lineFeed { afterLastNewline = index + 1 }
            lastScalarStart = index
            index += nextLength
        }
        if afterLastNewline >= 0 { return afterLastNewline }  // \s*[\r\n]+
        if index == end { return end }  // \s+(?!\S) at the end of the text
        if lastScalarStart > start { return lastScalarStart }  // \s+(?!\S), the last space goes with the next piece
        return index  // \s+
    }

    /// The end of the run of `kind` characters from `index`.
    @inline(__always)
    private func run(of kind: ScalarClass, from index: Int) -> Int {
        var index = index
        while index < end {
            let (next, length) = classAt(index)
            guard next == kind else { break }
            index += length
        }
        return index
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d`, case-insensitive; the engine's case folding also maps `ſ` (U+017F) to `s`.
    private func contractionEnd(after index: Int) -> Int? {
        guard index < end else { return nil }
        // `byte | 0x20` lower-cases ASCII letters and maps no other byte onto one.
        func isLetter(_ i: Int, _ letter: Unicode.Scalar) -> Bool { i < end && text[i] | 0x20 == UInt8(ascii: letter) }
        if isLetter(index, "s") || isLetter(index, "t") || isLetter(index, "m") || isLetter(index, "d") {
            return index + 1
        }
        if (isLetter(index, "r") || isLetter(index, "v")) && isLetter(index + 1, "e") { return index + 2 }
        if isLetter(index, "l") && isLetter(index + 1, "l") { return index + 2 }
        if text[index] == 0xC5 && index + 1 < end && text[index + 1] == 0xBF { return index + 2 }  // ſ
        return nil
    }
}
