import Foundation

/// A script line in the editor: its text and an id that follows it through edits, moves and undo (the
/// generation queue and the takes column refer to lines by id).
public struct EditorLine: Equatable, Sendable {
    public let id: Int
    public var text: String
}

/// The script editor's state: lines, cursor, undo and redo, and the project's header (scene, cast,
/// settings), which is undone with the lines: renaming a speaker changes both, and one undo takes both
/// back. Plain values, no terminal: the screen draws it and feeds it keys. Cursor columns are character
/// indexes (grapheme clusters); `DisplayWidth` turns them into screen columns.
public struct ScriptEditor: Sendable {
    public private(set) var lines: [EditorLine]
    /// Scene, cast and settings; its `script` is always empty (the lines are the script).
    public private(set) var header: Project
    /// Cursor line.
    public private(set) var line = 0
    /// Cursor position in the line, in characters.
    public private(set) var column = 0
    /// Grows on every change of the text (undo and redo included): the screen autosaves when it moved.
    public private(set) var revision = 0

    private var goalColumn: Int?
    private var undoStack: [Snapshot] = []
    private var redoStack: [Snapshot] = []
    private var group: Group?
    /// Inside one change made of several (a paste): only its first step is recorded for undo.
    private var batching = false
    private var nextID: Int
    public static let undoDepth = 1000

    private struct Snapshot: Sendable {
        var lines: [EditorLine]
        var header: Project
        var line: Int
        var column: Int
    }

    /// Consecutive edits of one kind on one line undo together (typing a word, deleting a run).
    private enum Group: Equatable {
        case typing(line: Int, afterSpace: Bool)
        case deleting(line: Int)
    }

    /// The lines, and the header of `header` (its script is not read).
    public init(lines texts: [String], header: Project = Project()) {
        let texts = texts.isEmpty ? [""] : texts
        lines = texts.enumerated().map { EditorLine(id: $0.offset, text: $0.element) }
        nextID = texts.count
        self.header = header
        self.header.script = []
    }

    /// A new document in place of `earlier` (the file read again, a recovery, another project opened): its revision
    /// and line ids go on from earlier's, so that nothing keyed by them (the plans, the queue's jobs) takes its lines
    /// for earlier's. Undo starts afresh.
    public init(lines texts: [String], header: Project = Project(), replacing earlier: ScriptEditor) {
        self.init(lines: texts, header: header)
        lines = lines.map { EditorLine(id: $0.id + earlier.nextID, text: $0.text) }
        nextID += earlier.nextID
        revision = earlier.revision + 1
    }

    /// The script as the document stores it (a lone empty line is an empty script).
    public var texts: [String] {
        lines.count == 1 && lines[0].text.isEmpty ? [] : lines.map(\.text)
    }

    /// The editor holds `project`, header and script: what `texts` would equal, found without making it (the
    /// studio asks on every frame whether a script of tens of thousands of lines has unsaved changes).
    public func holds(_ project: Project) -> Bool {
        var other = project
        other.script = []
        guard other == header else { return false }
        if lines.count == 1 && lines[0].text.isEmpty { return project.script.isEmpty }
        return lines.count == project.script.count && zip(lines, project.script).allSatisfy { $0.text == $1 }
    }

    public var currentLine: EditorLine { lines[line] }
    public var canUndo: Bool { !undoStack.isEmpty }
    public var canRedo: Bool { !redoStack.isEmpty }

    private var chars: [Character] { Array(lines[line].text) }

    // MARK: Undo

    private mutating func record(_ g: Group? = nil) {
        if batching { return }
        if let g, g == group { return }
        undoStack.append(snapshot)
        if undoStack.count > ScriptEditor.undoDepth { undoStack.removeFirst(undoStack.count - ScriptEditor.undoDepth) }
        redoStack.removeAll()
        group = g
    }

    private mutating func changed() {
        revision += 1
        goalColumn = nil
    }

    /// False when there was nothing to undo.
    @discardableResult
    public mutating func undo() -> Bool {
        guard let s = undoStack.popLast() else { return false }
        redoStack.append(snapshot)
        restore(s)
        return true
    }

    /// False when there was nothing to redo.
    @discardableResult
    public mutating func redo() -> Bool {
        guard let s = redoStack.popLast() else { return false }
        undoStack.append(snapshot)
        restore(s)
        return true
    }

    private var snapshot: Snapshot { Snapshot(lines: lines, header: header, line: line, column: column) }

    private mutating func restore(_ s: Snapshot) {
        lines = s.lines
        header = s.header
        line = min(s.line, lines.count - 1)
        column = min(s.column, lines[line].text.count)
        group = nil
        changed()
    }

    // MARK: Typing

    /// Inserts text at the cursor; newlines split the line, tabs become spaces, other controls are dropped.
    public mutating func insert(_ text: String) {
        for (i, piece) in ProjectFormat.splitLines(text).enumerated() {
            if i > 0 { splitLine() }
            let clean = String(String.UnicodeScalarView(piece.unicodeScalars.compactMap { s -> Unicode.Scalar? in
                s == "\t" ? " " : s.properties.generalCategory == .control ? nil : s
            }))
            guard !clean.isEmpty else { continue }
            let afterSpace = clean.last == " "
            record(.typing(line: line, afterSpace: false))
            // A speaker tag typed over the one a new line was opened with replaces it.
            if clean.hasPrefix("["), isUntouchedSuggestion { clearSuggestion() }
            let c = chars
            let before = String(c[..<column]) + clean
            lines[line].text = before + String(c[column...])
            // Counted again: typed scalars can join the character before them into one (a skin tone after 👍, a
            // combining accent after e, a flag's second letter), or the one after.
            column = min(before.count, lines[line].text.count)
            // A word ends at a space: the next word is its own undo step.
            group = afterSpace ? .typing(line: line, afterSpace: true) : .typing(line: line, afterSpace: false)
            changed()
        }
    }

    /// Text pasted while editing: inserted as if typed (line breaks split the line), one undo step.
    public mutating func paste(_ text: String) {
        record()
        batching = true
        insert(text)
        batching = false
        group = nil
    }

    /// Whole lines pasted outside a line: below the cursor line (in its place when it is empty), the cursor
    /// on the last of them; `header` changes with them (the speakers they bring), one undo step.
    public mutating func insertLines(_ texts: [String], header change: (inout Project) -> Void = { _ in }) {
        guard !texts.isEmpty else { return }
        record()
        change(&header)
        header.script = []
        let replacing = lines[line].text.isEmpty
        let at = replacing ? line : line + 1
        if replacing { lines.remove(at: line) }
        lines.insert(contentsOf: texts.map { EditorLine(id: takeID(), text: $0) }, at: at)
        line = at + texts.count - 1
        column = 0
        changed()
    }

    /// Backspace: deletes the character before the cursor, or joins the line to the previous one.
    public mutating func backspace() {
        if isUntouchedSuggestion {
            // The suggested tag goes whole, as it came: the line is then empty, for a tag or a note of one's own.
            record(.deleting(line: line))
            clearSuggestion()
            changed()
        } else if column > 0 {
            record(.deleting(line: line))
            var c = chars
            c.remove(at: column - 1)
            lines[line].text = String(c)
            column -= 1
            changed()
        } else if line > 0 {
            record()
            let text = lines.remove(at: line).text
            line -= 1
            column = lines[line].text.count
            lines[line].text += text
            changed()
        }
    }

    /// Delete: the character under the cursor, or joins the next line to this one.
    public mutating func deleteForward() {
        if column < chars.count {
            record(.deleting(line: line))
            var c = chars
            c.remove(at: column)
            lines[line].text = String(c)
            changed()
        } else if line + 1 < lines.count {
            record()
            let text = lines.remove(at: line + 1).text
            lines[line].text += text
            changed()
        }
    }

    /// Deletes the word before the cursor (and the spaces after it).
    public mutating func deleteWordBackward() {
        guard column > 0 else { return backspace() }
        let start = ScriptEditor.wordStart(before: column, in: chars)
        record()
        var c = chars
        c.removeSubrange(start..<column)
        lines[line].text = String(c)
        column = start
        changed()
    }

    public mutating func deleteToLineStart() {
        guard column > 0 else { return }
        record()
        lines[line].text = String(chars[column...])
        column = 0
        changed()
    }

    public mutating func deleteToLineEnd() {
        guard column < chars.count else { return }
        record()
        lines[line].text = String(chars[..<column])
        changed()
    }

    /// Enter while editing: the text after the cursor becomes a new line below.
    public mutating func splitLine() {
        record()
        let c = chars
        lines[line].text = String(c[..<column])
        lines.insert(EditorLine(id: takeID(), text: String(c[column...])), at: line + 1)
        line += 1
        column = 0
        changed()
    }

    // MARK: Line operations

    /// Opens an empty line below (or above) the cursor line and moves there; `text` is a suggestion (the next
    /// speaker's tag), replaced when a tag of one's own is typed at once, and taken back whole by Backspace.
    public mutating func newLine(above: Bool = false, text: String = "") {
        record()
        let at = above ? line : line + 1
        let id = takeID()
        lines.insert(EditorLine(id: id, text: text), at: at)
        line = at
        column = text.count
        suggestion = text.isEmpty ? nil : (id, text)
        changed()
    }

    /// The line opened last, with the text it was opened with.
    private var suggestion: (id: Int, text: String)?

    /// The cursor is at the end of a suggestion nothing was typed into yet.
    private var isUntouchedSuggestion: Bool {
        guard let suggestion, lines[line].id == suggestion.id else { return false }
        return lines[line].text == suggestion.text && column == suggestion.text.count
    }

    private mutating func clearSuggestion() {
        lines[line].text = ""
        column = 0
        suggestion = nil
    }

    /// Deletes the cursor line (the last line is emptied instead); returns its text.
    @discardableResult
    public mutating func deleteLine() -> String {
        record()
        let text = lines[line].text
        if lines.count == 1 {
            lines[0] = EditorLine(id: takeID(), text: "")
        } else {
            lines.remove(at: line)
            line = min(line, lines.count - 1)
        }
        column = min(column, chars.count)
        changed()
        return text
    }

    /// Copies the cursor line below itself (a new id: a copy has takes of its own).
    public mutating func duplicateLine() {
        record()
        lines.insert(EditorLine(id: takeID(), text: lines[line].text), at: line + 1)
        line += 1
        changed()
    }

    /// Moves the cursor line up (-1) or down (+1), keeping its id.
    public mutating func moveLine(by delta: Int) {
        let target = line + delta
        guard lines.indices.contains(target) else { return }
        record()
        lines.swapAt(line, target)
        line = target
        changed()
    }

    /// Sets the speaker tag at the start of the cursor line to the next (or previous) of `names`, then no
    /// tag, then around again. `names` are tag contents: cast names or `SPEAKERn`.
    public mutating func cycleSpeaker(_ names: [String], forward: Bool = true) {
        let parsed = ScriptLine(lines[line].text, cast: names)
        let current: String?
        switch parsed.speaker {
        case .name(let n)?: current = n
        case .tag(let k)?: current = "SPEAKER\(k)"
        case nil: current = nil
        }
        let options: [String?] = names.map { Optional($0) } + [nil]
        let at = options.firstIndex(where: { $0 == current }) ?? (options.count - 1)
        let next = options[(at + (forward ? 1 : options.count - 1)) % options.count]
        let body = parsed.body
        let bodyColumn = max(0, column - parsed.bodyOffset)
        record()
        let prefix = next.map { "[\($0)] " } ?? ""
        lines[line].text = prefix + body
        column = min(prefix.count + bodyColumn, lines[line].text.count)
        changed()
    }

    /// Changes the header, and with `transform` every line too (a speaker renamed), as one undo step;
    /// nothing when nothing changes.
    public mutating func editHeader(_ change: (inout Project) -> Void, lines transform: ((String) -> String)? = nil) {
        var newHeader = header
        change(&newHeader)
        newHeader.script = []
        let newLines = transform.map { t in lines.map { EditorLine(id: $0.id, text: t($0.text)) } } ?? lines
        guard newHeader != header || newLines != lines else { return }
        record()
        header = newHeader
        lines = newLines
        column = min(column, chars.count)
        changed()
    }

    /// Replaces the whole script, and the header where given (the file read again): one undo step, so that the
    /// text before is a key away. Its lines get new ids, as a document replacing another does.
    public mutating func replaceAll(_ texts: [String], header newHeader: Project? = nil) {
        record()
        if var newHeader {
            newHeader.script = []
            header = newHeader
        }
        let texts = texts.isEmpty ? [""] : texts
        lines = texts.map { EditorLine(id: takeID(), text: $0) }
        line = min(line, lines.count - 1)
        column = min(column, chars.count)
        changed()
    }

    private mutating func takeID() -> Int {
        defer { nextID += 1 }
        return nextID
    }

    // MARK: Cursor

    public mutating func moveLeft() {
        group = nil
        goalColumn = nil
        if column > 0 { column -= 1 } else if line > 0 { line -= 1; column = chars.count }
    }

    public mutating func moveRight() {
        group = nil
        goalColumn = nil
        if column < chars.count { column += 1 } else if line + 1 < lines.count { line += 1; column = 0 }
    }

    /// Up or down by `delta` lines, keeping the screen column (wide characters count double).
    public mutating func moveVertically(_ delta: Int) {
        group = nil
        let goal = goalColumn ?? DisplayWidth.column(of: column, in: chars)
        line = max(0, min(lines.count - 1, line + delta))
        column = DisplayWidth.index(atColumn: goal, in: chars)
        goalColumn = goal
    }

    public mutating func moveToLineStart() { group = nil; goalColumn = nil; column = 0 }
    public mutating func moveToLineEnd() { group = nil; goalColumn = nil; column = chars.count }

    public mutating func moveWordLeft() {
        group = nil
        goalColumn = nil
        if column == 0 { return moveLeft() }
        column = ScriptEditor.wordStart(before: column, in: chars)
    }

    public mutating func moveWordRight() {
        group = nil
        goalColumn = nil
        let c = chars
        if column >= c.count { return moveRight() }
        var i = column
        while i < c.count && !c[i].isWordish { i += 1 }
        while i < c.count && c[i].isWordish { i += 1 }
        column = i
    }

    /// Puts the cursor on `line` (clamped), at `column` or the end.
    public mutating func moveTo(line target: Int, column col: Int? = nil) {
        group = nil
        goalColumn = nil
        line = max(0, min(lines.count - 1, target))
        column = min(col ?? chars.count, chars.count)
    }

    /// Replaces every occurrence of `query` (found as `lines(containing:)` finds it, outside tags) with
    /// `replacement`, as one undo step; where an occurrence is in capitals, so is its replacement, and where
    /// it starts with one, so does its replacement.
    /// Returns how many were replaced, in how many lines.
    @discardableResult
    public mutating func replaceEverywhere(_ query: String, with replacement: String) -> (count: Int, lines: Int) {
        var newLines = lines
        var count = 0, changedLines = 0
        for i in newLines.indices {
            let chars = Array(newLines[i].text)
            let found = ScriptEditor.replaceableOccurrences(of: query, in: newLines[i].text)
            guard !found.isEmpty else { continue }
            var out = "", at = 0
            for r in found {
                out += String(chars[at..<r.lowerBound])
                let was = String(chars[r])
                if was.filter(\.isLetter).count > 1, was == was.uppercased(), was != was.lowercased() {
                    out += replacement.uppercased()
                } else if chars[r.lowerBound].isUppercase, let first = replacement.first, first.isLowercase {
                    out += first.uppercased() + replacement.dropFirst()
                } else {
                    out += replacement
                }
                at = r.upperBound
            }
            out += String(chars[at...])
            newLines[i].text = out
            count += found.count
            changedLines += 1
        }
        guard newLines != lines else { return (0, 0) }
        record()
        lines = newLines
        column = min(column, chars.count)
        changed()
        return (count, changedLines)
    }

    /// The index of the line with `id`.
    public func index(of id: Int) -> Int? { lines.firstIndex { $0.id == id } }

    static func wordStart(before column: Int, in c: [Character]) -> Int {
        var i = column
        while i > 0 && !c[i - 1].isWordish { i -= 1 }
        while i > 0 && c[i - 1].isWordish { i -= 1 }
        return i
    }
}

extension Character {
    /// Part of a word for word moves: letters, digits, marks, and anything that is not space or punctuation
    /// (so CJK ideographs and emoji count).
    var isWordish: Bool {
        !(isWhitespace || isPunctuation || isSymbol && isASCII) || self == "_" || self == "'"
    }
}
