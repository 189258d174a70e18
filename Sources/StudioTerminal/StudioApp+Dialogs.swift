import Foundation
import Studio

/// Dialogs: questions, text prompts, lists, the settings table and the help screen. Each runs its own
/// little loop over `nextEvent` (so signals and resizes keep working) and draws over the main screen.
extension StudioApp {
    /// A centred box; returns its inner rectangle.
    @discardableResult
    func drawBox(height: Int, width: Int, title: String) -> Rect {
        let w = min(width, terminal.width - 2)
        let h = min(height, terminal.height - 2)
        let y = max(0, (terminal.height - h) / 2)
        let x = max(0, (terminal.width - w) / 2)
        let (tl, tr, bl, br, hz, vt) = terminal.unicode ? ("╭", "╮", "╰", "╯", "─", "│") : ("+", "+", "+", "+", "-", "|")
        terminal.put(y, x, tl + String(repeating: hz, count: max(0, w - 2)) + tr, .border)
        for row in 1..<max(1, h - 1) {
            terminal.put(y + row, x, vt, .border)
            terminal.fill(y + row, x + 1, w - 2, .normal)
            terminal.put(y + row, x + w - 1, vt, .border)
        }
        terminal.put(y + h - 1, x, bl + String(repeating: hz, count: max(0, w - 2)) + br, .border)
        terminal.put(y, x + 2, " \(DisplayWidth.truncate(title, to: w - 6)) ", .bold)
        return Rect(y: y + 1, x: x + 2, height: h - 2, width: w - 4)
    }

    /// Asks a question answered by one key of `choices`; Esc answers the last choice. The question is worded
    /// again at every redraw, so that what it says (the lines still being made) follows what happens meanwhile.
    func ask(_ question: @autoclosure () -> String, choices: [String]) throws -> String {
        while true {
            drawMain()
            let lines = wrap(question(), width: min(64, terminal.width - 8))
            let inner = drawBox(height: lines.count + 4, width: min(70, terminal.width - 2), title: "Question")
            for (i, line) in lines.enumerated() { terminal.put(inner.y + 1 + i, inner.x, line, .bold) }
            terminal.showCursor(at: nil)
            terminal.refreshScreen()
            guard case .key(let key) = try nextEvent() else { continue }
            switch key {
            case .char(let c) where choices.contains(String(c).lowercased()): return String(c).lowercased()
            case .escape, .ctrl("c"): return choices.last ?? ""
            default: continue
            }
        }
    }

    /// A one-line text field; nil when cancelled with Esc. With `paths`, Tab completes a file's path (from
    /// the current folder) and lists what it could still be.
    /// - Parameter selected: the initial text is shown selected, and what is typed first replaces it (a name to
    ///   save as: a new name is typed whole; arrows keep it to edit).
    /// Asks until `problem` finds nothing in the answer (trimmed of spaces for it), saying each problem and asking
    /// again with the text as typed, so that a refusal loses nothing; nil when cancelled.
    func ask(_ title: String, initial: String, paths: Bool = false, refusing problem: (String) -> String?) throws -> String? {
        var offered = initial
        while true {
            guard let raw = try prompt(title, initial: offered, paths: paths) else { return nil }
            guard let why = problem(raw.trimmingCharacters(in: .whitespaces)) else { return raw }
            say(why, .error, seconds: 10)
            offered = raw
        }
    }

    func prompt(_ title: String, initial: String, paths: Bool = false, selected: Bool = false) throws -> String? {
        var field = ScriptEditor(lines: [initial])
        field.moveToLineEnd()
        var selection = selected && !initial.isEmpty
        var scroll = 0
        var hint: String?
        while true {
            drawMain()
            let inner = drawBox(height: 5, width: min(90, terminal.width - 2), title: title)
            let chars = Array(field.currentLine.text)
            scroll = DisplayWidth.scrollOffset(chars: chars, cursor: field.column, width: inner.width, previous: scroll)
            var shown = ""
            var used = 0
            for c in chars[scroll...] {
                let w = DisplayWidth.of(c)
                if used + w > inner.width { break }
                shown.append(c)
                used += w
            }
            terminal.fill(inner.y + 1, inner.x, inner.width, .selectionDim)
            terminal.put(inner.y + 1, inner.x, shown, selection ? .selection : .selectionDim)
            terminal.put(inner.y + 2, inner.x, hint ?? (paths ? "Tab completes, Enter to confirm, Esc to cancel" : "Enter to confirm, Esc to cancel"),
                         .dim, width: inner.width)
            terminal.showCursor(at: (inner.y + 1, inner.x + DisplayWidth.column(of: field.column, in: chars) - DisplayWidth.column(of: scroll, in: chars)))
            terminal.refreshScreen()
            let event = try nextEvent()
            if case .paste(let text) = event {
                // One line: a pasted path or description keeps its words, not its line breaks.
                if selection { field = ScriptEditor(lines: [""]) }
                selection = false
                field.insert(text.split(whereSeparator: \.isNewline).joined(separator: " "))
                continue
            }
            guard case .key(let key) = event else { continue }
            hint = nil
            if selection {
                selection = false
                switch key {
                case .char, .backspace, .delete: field = ScriptEditor(lines: [""])  // typed over, or deleted
                default: break
                }
                if case .backspace = key { continue }
                if case .delete = key { continue }
            }
            switch key {
            case .tab where paths:
                let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
                let (completed, candidates) = PathCompletion.complete(field.currentLine.text, in: here)
                field = ScriptEditor(lines: [completed])
                field.moveToLineEnd()
                if candidates.isEmpty { hint = "No file starts so." } else if candidates.count > 1 { hint = candidates.joined(separator: "  ") }
            case .enter: return field.currentLine.text
            case .escape, .ctrl("c"): return nil
            case .char(let c): field.insert(String(c))
            case .left: field.moveLeft()
            case .right: field.moveRight()
            case .home, .ctrl("a"): field.moveToLineStart()
            case .end, .ctrl("e"): field.moveToLineEnd()
            case .ctrlLeft, .alt("b"): field.moveWordLeft()
            case .ctrlRight, .alt("f"): field.moveWordRight()
            case .backspace: if field.column > 0 { field.backspace() }
            case .delete: if field.column < chars.count { field.deleteForward() }
            case .ctrl("w"): if field.column > 0 { field.deleteWordBackward() }
            case .ctrl("u"): field.deleteToLineStart()
            case .ctrl("k"): field.deleteToLineEnd()
            case .ctrl("z"): field.undo()
            default: break
            }
        }
    }

    /// A list to choose from; `onAudition` is called with the highlighted row on `l` or Space.
    func pick(_ title: String, items: [(String, String)], selected: Int, onAudition: ((Int) -> Void)? = nil) throws -> Int? {
        try pick(title, liveItems: { items }, selected: selected, onAudition: onAudition)
    }

    /// `pick` of a list that may grow while it shows (the takes of a line still being made): `liveItems` is asked
    /// again every turn.
    func pick(_ title: String, liveItems: () -> [(String, String)], selected: Int, onAudition: ((Int) -> Void)? = nil) throws -> Int? {
        var row = max(0, selected)
        while true {
            refresh()
            let items = liveItems()
            guard !items.isEmpty else { return nil }
            row = min(row, items.count - 1)
            drawMain()
            // Wide terminals show long rows whole (a take's engine and time, a voice's description).
            let width = min(140, terminal.width - 2)
            let labelWidth = min(28, max(8, items.map { DisplayWidth.of($0.0) }.max() ?? 8) + 2)
            // Texts cut off in their column are shown whole, for the chosen row, under the list.
            let textWidth = width - 4 - labelWidth
            let detailRows = items.contains { DisplayWidth.of($0.1) > textWidth } && terminal.height >= 16 ? 4 : 0
            let height = min(terminal.height - 2, items.count + 4 + detailRows)
            let inner = drawBox(height: height, width: width, title: title)
            let visible = max(1, inner.height - 1 - detailRows)
            let first = max(0, min(row - visible / 2, items.count - visible))
            if detailRows > 0 {
                for (n, line) in wrap(items[row].1, width: inner.width).prefix(detailRows - 1).enumerated() {
                    terminal.put(inner.y + visible + 1 + n, inner.x, line, .normal, width: inner.width)
                }
            }
            for (n, i) in (first..<min(items.count, first + visible)).enumerated() {
                let y = inner.y + n
                let isRow = i == row
                if isRow { terminal.fill(y, inner.x, inner.width, .selection) }
                terminal.put(y, inner.x, DisplayWidth.pad(items[i].0, to: labelWidth), isRow ? .selection : .bold)
                terminal.put(y, inner.x + labelWidth, items[i].1, isRow ? .selection : .dim, width: inner.width - labelWidth)
            }
            let status = player.currentStatus
            if let np = nowPlaying, [.playing, .waiting].contains(status.state), case .audition(let v) = np.kind {
                terminal.put(inner.y + inner.height - 1, inner.x, "\(terminal.glyph("▶", ">")) \(v) \(clock(Double(status.position) / Double(np.sampleRate)))", .good)
            } else if let m = message, m.until > Date() {
                terminal.put(inner.y + inner.height - 1, inner.x, m.text, m.style, width: inner.width)
            }
            terminal.showCursor(at: nil)
            terminal.refreshScreen()
            guard case .key(let key) = try nextEvent() else { continue }
            switch key {
            case .up, .char("k"): row = max(0, row - 1)
            case .down, .char("j"): row = min(items.count - 1, row + 1)
            case .pageUp: row = max(0, row - visible)
            case .pageDown: row = min(items.count - 1, row + visible)
            case .home: row = 0
            case .end: row = items.count - 1
            case .enter: return row
            case .escape, .char("q"), .ctrl("c"): return nil
            case .char("l"), .char(" "): onAudition?(row)
            case .char("s"): player.stop()
            default: break
            }
        }
    }

    /// `kept`: the file's settings this version does not read, listed under the table (they are saved as they are).
    func drawSettings(_ rows: [(String, String, String)], selected: Int, kept: [UnknownSetting]) {
        drawMain()
        // Names, values (a few digits), then what each accepts in whatever width is left.
        let width = min(140, terminal.width - 2)
        // What the chosen setting accepts, whole, under the table when its column cuts it off.
        let detail = DisplayWidth.of(rows[selected].2) > width - 30 ? wrap(rows[selected].2, width: width - 4).prefix(2) : []
        let keptLine = kept.isEmpty ? nil
            : "Kept as written, not used by this version: " + kept.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        let below = (detail.isEmpty ? 0 : detail.count + 1) + (keptLine == nil ? 0 : 2)
        let inner = drawBox(height: rows.count + 5 + below, width: width, title: "Generation settings")
        for (i, row) in rows.enumerated() {
            let y = inner.y + i
            let isRow = i == selected
            if isRow { terminal.fill(y, inner.x, inner.width, .selection) }
            terminal.put(y, inner.x, DisplayWidth.pad(row.0, to: 16), isRow ? .selection : .bold)
            terminal.put(y, inner.x + 16, DisplayWidth.pad(row.1, to: 10), isRow ? .selection : .normal)
            terminal.put(y, inner.x + 26, row.2, isRow ? .selection : .dim, width: inner.width - 26)
        }
        for (n, line) in detail.enumerated() {
            terminal.put(inner.y + rows.count + 1 + n, inner.x, line, .normal, width: inner.width)
        }
        if let keptLine {
            terminal.put(inner.y + rows.count + 1 + (detail.isEmpty ? 0 : detail.count + 1), inner.x, keptLine, .dim, width: inner.width)
        }
        terminal.put(inner.y + rows.count + 1 + below, inner.x, "← → change · Enter type a value · Esc close", .dim)
        terminal.showCursor(at: nil)
        terminal.refreshScreen()
    }

    /// Every key, from the key map.
    func showHelp() throws {
        var lines: [(String, String, Bool)] = [
            ("", "Higgs Studio: write a script, cast its speakers, generate each line and hear it.", true),
            ("", "Lines are generated in the background; editing never waits. Takes are kept in \(TakeStore.folder(forProject: url).lastPathComponent)/.", false),
            ("", "", false),
        ]
        for section in KeyMap.helpSections {
            lines.append(("", section.title, true))
            for row in section.rows { lines.append((row.keys, row.help, false)) }
            lines.append(("", "", false))
        }
        lines.append(("", "A line starting with # is a note to yourself: kept in the script, never spoken or exported.", false))
        lines.append(("", "# scene: NAME (from Scenes/), # scene: a description, # scene: none: the scene of the lines after it.", false))
        lines.append(("", "# chapter: Title starts a chapter: exports write each chapter to a file of its own.", false))
        lines.append(("", "# pause: 1.5 adds that many seconds of silence before the next line (exports, play from here).", false))
        lines.append(("", "# overlap: 0.4 starts the next line that long before the one before it ends (an interruption).", false))
        lines.append(("", "# at: 1:23.4 or # at: 00:01:23.400 --> 00:01:25.100 puts the next line at that time (a dub's cue).", false))
        lines.append(("", "# tempo: 1.1 plays the next line 10% faster (0.9: slower), its pitch kept.", false))
        lines.append(("", "# gain: -6 dB makes the next line that much quieter (after loudness levels it): a whisper.", false))
        lines.append(("", "# bed: rain.wav -18 dB lays a sound (WAV or MP3, beside the project) under the lines after it;", false))
        lines.append(("", "  # bed: none ends it.", false))
        lines.append(("", "# file: npc/greet names the next line's file in exports (lines/npc/greet.wav).", false))
        lines.append(("", "Takes column: · none   ✓ up to date   ~ out of date (inputs changed)   ✂ cut at its limit", false))
        lines.append(("", "  » too long for its # at: cue   spinner: generating   ✗ failed", false))
        lines.append(("", "Project files are plain text; see the README for the format. Voices: \(voices.folder.path)", false))
        var first = 0
        while true {
            drawMain()
            let inner = drawBox(height: terminal.height - 2, width: min(100, terminal.width - 2), title: "Help — Esc closes, ↑ ↓ scroll")
            let visible = max(1, inner.height)
            // Each text wrapped to the box (a key's under its description's column), so nothing is cut off.
            let rows = lines.flatMap { keys, text, bold -> [(String, String, Bool)] in
                let width = keys.isEmpty ? inner.width - 2 : inner.width - 23
                guard DisplayWidth.of(text) > width else { return [(keys, text, bold)] }
                return wrap(text, width: width).enumerated().map { n, part in
                    n == 0 ? (keys, part, bold) : keys.isEmpty ? ("", "  " + part, bold) : (" ", part, bold)
                }
            }
            first = max(0, min(first, rows.count - visible))
            for (n, line) in rows[first..<min(rows.count, first + visible)].enumerated() {
                let y = inner.y + n
                if line.0.isEmpty {
                    terminal.put(y, inner.x, line.1, line.2 ? .bold : .dim, width: inner.width)
                } else {
                    terminal.put(y, inner.x + 2, DisplayWidth.pad(line.0, to: 20), .key)
                    terminal.put(y, inner.x + 23, line.1, .normal, width: inner.width - 23)
                }
            }
            terminal.showCursor(at: nil)
            terminal.refreshScreen()
            guard case .key(let key) = try nextEvent() else { continue }
            switch key {
            case .up, .char("k"): first -= 1
            case .down, .char("j"): first += 1
            case .pageUp: first -= visible
            case .pageDown, .char(" "): first += visible
            case .home: first = 0
            case .end: first = Int.max / 2
            default: return
            }
        }
    }
}
