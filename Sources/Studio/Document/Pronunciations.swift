import Foundation

/// A word the voices misread, and how to spell it so that they say it right: `Siobhan` said as `Shiv-awn`.
/// The script, the subtitles and the transcript keep the written word; only the text given to the model
/// changes.
public struct Pronunciation: Equatable, Hashable, Sendable {
    /// As written in the script: a word, a name or a few words. Written all in lower case it is found in
    /// any case (`gif` also finds `GIF` and `Gif`); with a capital, only as written.
    public var word: String
    /// How the model is given it.
    public var sayAs: String

    public init(word: String, sayAs: String) {
        self.word = word
        self.sayAs = sayAs
    }

    /// Why `word` cannot be respelled, or nil.
    public static func problem(word: String) -> String? {
        if word.isEmpty { return "a pronunciation needs the word as written" }
        if word.count > 64 { return "'\(ProjectFormat.clip(word))' is longer than 64 characters" }
        if word.first == " " || word.last == " " { return "'\(word)' starts or ends with a space" }
        if word.first == "#" { return "'\(word)' starts with '#'" }
        if let bad = word.first(where: { "[]:".contains($0) || $0.isNewline || $0 == "\t" }) {
            return "'\(word)' contains '\(bad)'"
        }
        if !word.contains(where: { $0.isLetter || $0.isNumber }) { return "'\(word)' has no letter or digit" }
        return nil
    }

    /// Why `sayAs` cannot be what `word` is said as, or nil.
    public static func problem(sayAs: String, word: String) -> String? {
        if sayAs.trimmingCharacters(in: .whitespaces).isEmpty { return "'\(word)' needs a way to say it" }
        if sayAs.count > 200 { return "how to say '\(word)' is longer than 200 characters" }
        // Brackets would make it a tag: a sound, a speaker, or words the model reads out with their brackets.
        if let bad = sayAs.first(where: { "[]".contains($0) || $0.isNewline || $0 == "\t" }) {
            return "how to say '\(word)' contains '\(bad)'"
        }
        // The model would act on it rather than say it (`ControlTokens`).
        if let token = ControlTokens.first(in: sayAs) { return "how to say '\(word)' holds the model's control token \(token)" }
        return nil
    }

    /// The entry matches any case.
    var anyCase: Bool { word == word.lowercased() }
}

extension [Pronunciation] {
    /// `text` as the model is to say it: every whole-word occurrence of a word respelled (the longest word
    /// where two start at one place), tags in brackets left alone. A word found in another case keeps a
    /// capital first letter (`Gif` said as `Jif`).
    public func applied(to text: String) -> String {
        guard !isEmpty else { return text }
        var out = ""
        scan(text) { piece, entry in
            guard let entry else { return out += piece }
            var said = entry.sayAs
            if entry.anyCase, piece.first?.isUppercase == true, let first = said.first, first.isLowercase {
                said = first.uppercased() + said.dropFirst()
            }
            out += said
        }
        return out
    }

    /// Whether `text` (outside its tags) says a word of the list.
    public func occur(in text: String) -> Bool { !ranges(in: text).isEmpty }

    /// Where `text` says words of the list, in character offsets (to mark them on screen).
    public func ranges(in text: String) -> [Range<Int>] {
        var found: [Range<Int>] = []
        var offset = 0
        scan(text) { piece, entry in
            if entry != nil { found.append(offset..<(offset + piece.count)) }
            offset += piece.count
        }
        return found
    }

    /// Cuts `text` into pieces, in order: each whole-word occurrence of a word of the list (with its entry),
    /// and the text between them (nil), tags whole.
    private func scan(_ text: String, _ piece: (String, Pronunciation?) -> Void) {
        let chars = [Character](text)
        let words = map { (entry: $0, chars: [Character]($0.word)) }.sorted { $0.chars.count > $1.chars.count }
        var plain = ""
        var i = 0
        while i < chars.count {
            if chars[i] == "[", let close = chars[(i + 1)...].firstIndex(of: "]") {
                plain += String(chars[i...close])
                i = close + 1
            } else if let (entry, length) = Self.match(words, in: chars, at: i) {
                if !plain.isEmpty { piece(plain, nil) }
                plain = ""
                piece(String(chars[i..<(i + length)]), entry)
                i += length
            } else {
                plain.append(chars[i])
                i += 1
            }
        }
        if !plain.isEmpty { piece(plain, nil) }
    }

    /// The entry for `word`, as written.
    public func entry(for word: String) -> Pronunciation? { first { $0.word == word } }

    private static func match(_ words: [(entry: Pronunciation, chars: [Character])], in chars: [Character], at i: Int)
        -> (Pronunciation, Int)? {
        func isWordChar(_ c: Character) -> Bool { c.isLetter || c.isNumber }
        for (entry, w) in words where i + w.count <= chars.count {
            let slice = chars[i..<(i + w.count)]
            let same = entry.anyCase ? String(slice).lowercased() == entry.word : [Character](slice) == w
            guard same else { continue }
            // Whole words: no letter runs on into the word's own letters at either end.
            if isWordChar(w[0]), i > 0, isWordChar(chars[i - 1]) { continue }
            if isWordChar(w[w.count - 1]), i + w.count < chars.count, isWordChar(chars[i + w.count]) { continue }
            return (entry, w.count)
        }
        return nil
    }
}
