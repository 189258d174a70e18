import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Terminal columns of text, as curses counts them: each Unicode scalar takes `wcwidth` columns (2 for
/// CJK and most emoji, 0 for combining marks and joiners), so the cursor lands where the screen draws.
/// Needs a UTF-8 locale (`Locale.ensureUTF8()` at start); control characters count as 1 (drawn as `?`, a tab as a space),
/// and so does a character with no width at all (a zero-width space or joiner standing alone, a mark with nothing
/// to combine with, drawn as `?`): terminals disagree on where such a character goes, and it would leave stray cells.
public enum DisplayWidth {
    /// glibc's `wcwidth`, which its Swift module map hides (it needs `_XOPEN_SOURCE`); found once by name.
    private static let wcwidth: @convention(c) (wchar_t) -> Int32 = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "wcwidth") else {
            return { $0 < 0x20 ? -1 : 1 }
        }
        return unsafeBitCast(symbol, to: (@convention(c) (wchar_t) -> Int32).self)
    }()

    public static func of(_ c: Character) -> Int {
        var total = 0
        for scalar in c.unicodeScalars {
            let w = wcwidth(wchar_t(bitPattern: scalar.value))
            total += w < 0 ? (scalar.value < 0x20 || scalar.value == 0x7F ? 1 : 0) : Int(w)
        }
        return max(1, total)
    }

    /// Whether the screen draws `?` in place of `c`: a control character, or one with no width of its own (see above).
    public static func isDrawnAsStandIn(_ c: Character) -> Bool {
        let widths = c.unicodeScalars.map { wcwidth(wchar_t(bitPattern: $0.value)) }
        return (widths.first ?? 0) < 0 || widths.allSatisfy { $0 <= 0 }
    }

    public static func of(_ s: some StringProtocol) -> Int {
        s.reduce(0) { $0 + of($1) }
    }

    /// Column at which character `index` of `chars` starts.
    public static func column(of index: Int, in chars: [Character]) -> Int {
        var col = 0
        for c in chars[..<min(index, chars.count)] { col += of(c) }
        return col
    }

    /// The character index whose cell covers `column` (or the end): vertical moves keep the column.
    public static func index(atColumn column: Int, in chars: [Character]) -> Int {
        var col = 0
        for (i, c) in chars.enumerated() {
            let w = of(c)
            if col + w > column { return i }
            col += w
        }
        return chars.count
    }

    /// The first character to draw so that the cursor at `cursor` is visible in `width` columns, starting
    /// from the previous `offset` (scrolls only when needed), and showing as much of the line as fits: no empty
    /// columns at its end while text before the start is hidden (a short line after a long one starts at 0).
    /// Linear in the line's length: a pasted paragraph is thousands of characters, and this runs on every key.
    public static func scrollOffset(chars: [Character], cursor: Int, width: Int, previous offset: Int) -> Int {
        guard width > 1 else { return cursor }
        let cursor = min(cursor, chars.count)
        // Room for the cursor cell itself at the end of the line.
        let cursorCell = cursor < chars.count ? of(chars[cursor]) : 1
        var start = min(offset, cursor)
        var span = column(of: cursor, in: chars) - column(of: start, in: chars) + cursorCell
        while start < cursor && span > width {
            span -= of(chars[start])
            start += 1
        }
        var shown = column(of: chars.count, in: chars) - column(of: start, in: chars) + (cursor == chars.count ? 1 : 0)
        while start > 0 && shown + of(chars[start - 1]) <= width {
            start -= 1
            shown += of(chars[start])
        }
        return start
    }

    /// Cuts `s` to at most `width` columns, ending in `…` when cut (never splitting a wide character).
    public static func truncate(_ s: String, to width: Int) -> String {
        guard of(s) > width else { return s }
        guard width > 0 else { return "" }
        var out = ""
        var used = 0
        for c in s {
            let w = of(c)
            if used + w > width - 1 { break }
            out.append(c)
            used += w
        }
        return out + "…"
    }

    /// As many of `facts` as fit in `width` columns, in order, joined by `separator`: a fact that does not fit is
    /// left out whole, with those after it, rather than cut mid-word or mid-number. The first `kept` are always
    /// there, the first of all cut (with `…`) to make room for the others.
    public static func fitting(_ facts: [String], separator: String, width: Int, kept: Int = 1) -> String {
        guard let first = facts.first else { return "" }
        let others = facts.dropFirst().prefix(max(0, kept - 1)).map { separator + $0 }.joined()
        var out = truncate(first, to: max(1, width - of(others))) + others
        for fact in facts.dropFirst(max(1, kept)) {
            let next = out + separator + fact
            guard of(next) <= width else { break }
            out = next
        }
        return out
    }

    /// `s` padded with spaces (or cut) to exactly `width` columns.
    public static func pad(_ s: String, to width: Int) -> String {
        let t = truncate(s, to: width)
        return t + String(repeating: " ", count: max(0, width - of(t)))
    }
}

public enum TerminalLocale {
    /// Sets the locale from the environment; if it is not UTF-8, switches the character type to C.UTF-8
    /// (wide characters need it). Returns true when the character set is UTF-8.
    @discardableResult
    public static func ensureUTF8() -> Bool {
        setlocale(LC_ALL, "")
        if isUTF8() { return true }
        for name in ["C.UTF-8", "C.utf8", "en_US.UTF-8"] where setlocale(LC_CTYPE, name) != nil {
            if isUTF8() { return true }
        }
        return false
    }

    public static func isUTF8() -> Bool {
        guard let cs = nl_langinfo(nl_item(CODESET)) else { return false }
        let name = String(cString: cs).uppercased()
        return name == "UTF-8" || name == "UTF8"
    }
}
