import Foundation

/// A transcript as the reference CLI prepares it before building prompts: speaker tags collected,
/// full-width punctuation made ASCII, parentheses and degree signs spelled out, event tags turned
/// into the model's `<SE…>` forms, whitespace folded, blank lines dropped, final punctuation ensured.
public enum Transcript {
    /// The `SPEAKERn` tags of `text` (written `[SPEAKERn]`), each once, sorted as strings, as the
    /// reference sorts them (so `SPEAKER10` comes before `SPEAKER2`).
    public static func speakerTags(in text: String) -> [String] {
        var tags = Set<String>()
        var rest = Substring(text)
        while let open = rest.range(of: "[SPEAKER") {
            // Python's `\d`: any decimal digit (Unicode category Nd).
            let tail = rest[open.upperBound...].unicodeScalars
            let digits = tail.prefix { $0.properties.numericType == .decimal }
            if !digits.isEmpty, tail.dropFirst(digits.count).first == "]" {
                var tag = "SPEAKER".unicodeScalars
                tag.append(contentsOf: digits)
                tags.insert(String(tag))
            }
            rest = rest[open.upperBound...]
        }
        return tags.sorted()
    }

    /// Full-width punctuation and its ASCII replacement, applied in this order.
    static let punctuation: [(String, String)] = [
        ("，", ", "), ("。", "."), ("：", ":"), ("；", ";"), ("？", "?"), ("！", "!"), ("（", "("), ("）", ")"),
        ("【", "["), ("】", "]"), ("《", "<"), ("》", ">"), ("“", "\""), ("”", "\""), ("‘", "'"), ("’", "'"),
        ("、", ","), ("—", "-"), ("…", "..."), ("·", "."), ("「", "\""), ("」", "\""), ("『", "\""), ("』", "\""),
    ]

    /// Event tags of a script and the model's forms for them, applied in this order.
    public static let eventTags: [(tag: String, form: String)] = [
        ("[laugh]", "<SE>[Laughter]</SE>"),
        ("[humming start]", "<SE_s>[Humming]</SE_s>"), ("[humming end]", "<SE_e>[Humming]</SE_e>"),
        ("[music start]", "<SE_s>[Music]</SE_s>"), ("[music end]", "<SE_e>[Music]</SE_e>"), ("[music]", "<SE>[Music]</SE>"),
        ("[sing start]", "<SE_s>[Singing]</SE_s>"), ("[sing end]", "<SE_e>[Singing]</SE_e>"),
        ("[applause]", "<SE>[Applause]</SE>"), ("[cheering]", "<SE>[Cheering]</SE>"), ("[cough]", "<SE>[Cough]</SE>"),
    ]

    static let finalMarks = [".", "!", "?", ",", ";", "\"", "'", "</SE_e>", "</SE>"]

    /// The reference's normalisation of a whole transcript. `finalPunctuation: false` leaves out its last
    /// rule (a "." after text that ends without a mark), which applies to the end of the whole transcript
    /// only: a line normalised alone in the middle of a script keeps its end as the reference keeps it.
    public static func normalize(_ text: String, finalPunctuation: Bool = true) -> String {
        var t = text
        for (from, to) in punctuation { t = PythonText.replace(from, with: to, in: t) }
        for (from, to) in [("(", " "), (")", " "), ("°F", " degrees Fahrenheit"), ("°C", " degrees Celsius")] {
            t = PythonText.replace(from, with: to, in: t)
        }
        for (tag, form) in eventTags { t = PythonText.replace(tag, with: form, in: t) }
        let lines = PythonText.split(t, "\n")
            .filter { !PythonText.strip($0).isEmpty }
            .map { PythonText.words($0).joined(separator: " ") }
        t = PythonText.strip(lines.joined(separator: "\n"))
        if finalPunctuation && !finalMarks.contains(where: { PythonText.hasSuffix(t, $0) }) { t += "." }
        return t
    }
}

/// Python's notion of whitespace (`str.isspace`, `str.split()`, `str.strip()`), which the reference
/// uses and which differs from Swift's `isWhitespace` at the edges (separators U+001C…U+001F count,
/// zero-width spaces do not).
enum PythonText {
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// `str.split()`: runs of whitespace separate words; no empty words.
    static func words<S: StringProtocol>(_ text: S) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isSpace(scalar) {
                if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(String(current)) }
        return words
    }

    /// `str.split(separator)`: on code points, so `\r\n` splits at its `\n` (Swift's `Character` would
    /// keep the pair whole).
    static func split(_ text: String, _ separator: String) -> [String] {
        let scalars = Array(text.unicodeScalars), sep = Array(separator.unicodeScalars)
        var parts: [String] = []
        var start = 0, i = 0
        func piece(_ range: Range<Int>) -> String {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[range])
            return String(view)
        }
        while i + sep.count <= scalars.count {
            if scalars[i..<i + sep.count].elementsEqual(sep) {
                parts.append(piece(start..<i))
                i += sep.count
                start = i
            } else {
                i += 1
            }
        }
        parts.append(piece(start..<scalars.count))
        return parts
    }

    /// `str.replace`: code point by code point, with no Unicode equivalence.
    static func replace(_ target: String, with replacement: String, in text: String) -> String {
        text.replacingOccurrences(of: target, with: replacement, options: .literal)
    }

    static func hasSuffix(_ text: String, _ suffix: String) -> Bool {
        text.unicodeScalars.reversed().starts(with: suffix.unicodeScalars.reversed())
    }

    static func hasPrefix(_ text: String, _ prefix: String) -> Bool {
        text.unicodeScalars.starts(with: prefix.unicodeScalars)
    }

    /// `str.strip()`.
    static func strip<S: StringProtocol>(_ text: S) -> String {
        let scalars = Array(text.unicodeScalars)
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
              let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[first...last])
        return String(view)
    }
}
