import Foundation

/// Finding text in the script (`/`, `n`, `N`, and where `R` replaces), ignoring case and accents.
extension ScriptEditor {
    /// Lines whose text contains `query`, ignoring case and accents (an empty query matches none).
    public func lines(containing query: String) -> [Int] {
        guard !query.isEmpty else { return [] }
        return lines.indices.filter { lines[$0].text.range(of: query, options: ScriptEditor.findOptions) != nil }
    }

    /// Where `query` occurs in `text`, as `lines(containing:)` finds it, in characters (for highlighting).
    public static func occurrences(of query: String, in text: String) -> [Range<Int>] {
        guard !query.isEmpty else { return [] }
        var found: [Range<Int>] = []
        var from = text.startIndex
        while from < text.endIndex, let r = text.range(of: query, options: findOptions, range: from..<text.endIndex) {
            let lower = text.distance(from: text.startIndex, to: r.lowerBound)
            found.append(lower..<(lower + max(1, text.distance(from: r.lowerBound, to: r.upperBound))))
            from = r.upperBound > r.lowerBound ? r.upperBound : text.index(after: r.lowerBound)
        }
        return found
    }

    private static let findOptions: String.CompareOptions = [.caseInsensitive, .diacriticInsensitive]

    /// Where `query` occurs in `text` (as found) outside its tags, as a whole word: a replacement there changes
    /// what is said, never who says it or a sound, and a name is not changed inside a longer word (Tom in
    /// Tomorrow). An end of the query that is not a letter or digit may meet anything.
    public static func replaceableOccurrences(of query: String, in text: String) -> [Range<Int>] {
        let tags = ScriptLine(text).spans.map(\.range)
        let chars = Array(text)
        func isWord(_ c: Character?) -> Bool { c.map { $0.isLetter || $0.isNumber } ?? false }
        let (wordStart, wordEnd) = (isWord(query.first), isWord(query.last))
        return occurrences(of: query, in: text).filter { r in
            !tags.contains { $0.overlaps(r) }
                && !(wordStart && r.lowerBound > 0 && isWord(chars[r.lowerBound - 1]))
                && !(wordEnd && r.upperBound < chars.count && isWord(chars[r.upperBound]))
        }
    }

    /// The first of `matches` (sorted line indexes) after the cursor line, or before it going back,
    /// wrapping around the script; the cursor line itself comes last. Nil when there are none.
    public func nextMatch(in matches: [Int], forward: Bool = true) -> Int? {
        guard !matches.isEmpty else { return nil }
        if forward { return matches.first { $0 > line } ?? matches[0] }
        return matches.last { $0 < line } ?? matches[matches.count - 1]
    }
}
