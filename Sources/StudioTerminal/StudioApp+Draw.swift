import Foundation
import Playback
import Studio

/// Drawing the main screen.
extension StudioApp {
    var showsSidePanel: Bool { terminal.width >= 110 || focus != .script }

    var layout: Layout {
        Layout(height: terminal.height, width: terminal.width, sidePanel: showsSidePanel,
               castRows: max(1, header.cast.count) + (focus == .cast ? 3 : 0))
    }

    /// Script lines that fit in the panel.
    var scriptRows: Int { max(1, layout.script.height - 1) }

    static let takesWidth = 13

    func draw() {
        let cursor = drawMain()
        terminal.showCursor(at: cursor)
        terminal.refreshScreen()
    }

    /// Draws the screen (without dialogs); returns where the text cursor goes while a line is edited.
    @discardableResult
    func drawMain() -> (y: Int, x: Int)? {
        // The derived state first: a dialog's loop draws through here, and the lines being made wait on the
        // document it publishes (a line's take is the next one's context); without it, generation stalled under any
        // open dialog or question.
        refresh()
        terminal.clear()
        let l = layout
        if l.isTooSmall {
            // Word-wrapped to the window, whatever its size; nothing is drawn over it (a dialog, a question).
            let said = "Higgs Studio needs at least \(Layout.minimumWidth)x\(Layout.minimumHeight); this is \(l.width)x\(l.height). "
                + "Make the window bigger, or press Ctrl-Q to quit."
            for (y, row) in wrap(said, width: l.width).prefix(l.height).enumerated() {
                terminal.put(y, 0, row, y == 0 ? .warning : .dim)
            }
            terminal.holdsDrawing = true
            return nil
        }
        drawTitle(l)
        let cursor = drawScript(l.script)
        if let c = l.cast {
            drawCast(c)
            for y in l.script.y..<(l.script.y + l.script.height) { terminal.put(y, c.width, terminal.glyph("│", "|"), .border) }
        }
        if let s = l.scene { drawScene(s) }
        drawTransport(l.transportRow)
        drawStatus(l.statusRow)
        drawHints(l.hintsRow)
        return editing ? cursor : nil
    }

    // MARK: Title

    private func drawTitle(_ l: Layout) {
        terminal.fill(0, 0, l.width, .bar)
        var x = 0
        func add(_ text: String, _ style: Style) {
            terminal.put(0, x, text, style)
            x += DisplayWidth.of(text)
        }
        // The facts after the name are dropped whole from the end where the bar has no room for them, never cut
        // mid-word; "F1 help" follows where there is room left.
        let help = " F1 help "
        add(" Higgs Studio ", .appName)
        let dirty = isDirty ? " \(terminal.glyph("●", "*"))" : ""
        add(DisplayWidth.truncate(" \(displayName)", to: max(0, l.width - x - DisplayWidth.of(dirty))) + dirty, .bar)
        let sceneLabel: String
        switch header.scene {
        case .none: sceneLabel = "no scene"
        case .named(let name): sceneLabel = "scene: \(name)"
        case .inline: sceneLabel = "scene: your own"
        }
        let lines = planner.casting.saysNothing.filter { !$0 }.count
        var facts = [sceneLabel, counted(header.cast.count, "speaker"), counted(lines, "line")]
        if exportSeconds > 0 {
            // The runtime of the takes made so far, as the export would lay them out.
            let whole = Int(exportSeconds.rounded())
            facts.append("\(whole / 60):\(String(format: "%02d", whole % 60)) of audio")
        }
        for fact in facts {
            let text = " \(terminal.glyph("·", "-")) \(fact)"
            guard x + DisplayWidth.of(text) <= l.width else { break }
            add(text, .bar)
        }
        if x + DisplayWidth.of(help) <= l.width { terminal.put(0, l.width - DisplayWidth.of(help), help, .bar) }
    }

    // MARK: Script

    private func drawScript(_ r: Rect) -> (y: Int, x: Int)? {
        let focused = focus == .script
        terminal.put(r.y, r.x, " Script ", focused ? .panelTitleFocused : .panelTitle)
        let takesX = r.x + r.width - StudioApp.takesWidth
        if r.width > 40 { terminal.put(r.y, takesX, "take", .dim) }
        let rows = max(1, r.height - 1)
        if editor.line < top { top = editor.line }
        if editor.line >= top + rows { top = editor.line - rows + 1 }
        top = max(0, min(top, max(0, editor.lines.count - rows)))

        let names = header.cast.map(\.name)
        let playingID = nowPlaying.flatMap { np -> Int? in
            guard [.playing, .waiting, .paused].contains(player.currentStatus.state) else { return nil }
            return np.stream.line(at: player.currentStatus.position) ?? np.kind.lineID
        }
        // The line numbers take as many columns as the last one needs (an audiobook has thousands of lines).
        let digits = max(3, String(editor.lines.count).count)
        let textX = r.x + digits + 3
        let textWidth = max(1, takesX - 1 - textX)
        var cursorSpot: (y: Int, x: Int)?
        for row in 0..<rows {
            let i = top + row
            guard i < editor.lines.count else { break }
            let y = r.y + 1 + row
            let line = editor.lines[i]
            let isCursor = i == editor.line
            let selected = isCursor && !editing && focused
            if selected { terminal.fill(y, r.x, r.width, .selection) }
            let marker: String
            if isCursor && editing { marker = terminal.glyph("✎", ">") } else if line.id == playingID { marker = terminal.glyph("▶", ">") } else if isCursor { marker = terminal.glyph("›", ">") } else { marker = " " }
            terminal.put(y, r.x, marker, selected ? .selection : (line.id == playingID ? .good : .key))
            terminal.put(y, r.x + 1, String(format: "%\(digits)d", i + 1), selected ? .selection : (isCursor ? .bold : .dim))
            let speaker = i < planner.casting.lineSpeakers.count ? planner.casting.lineSpeakers[i] : nil
            if let s = speaker {
                terminal.put(y, r.x + 1 + digits, terminal.glyph("▌", "|"), .speaker(s))
            }

            let parsed = ScriptLine(line.text, cast: names)
            let chars = Array(line.text)
            let found = highlightsFound ? ScriptEditor.occurrences(of: lastFind, in: line.text) : []
            let respelled = parsed.saysNothing ? [] : header.pronunciations.ranges(in: line.text)
            // A note is drawn in one style (asked once, not for every character): those that do something (a
            // scene, a pause) in the event colour, chapters as headings, one that means to act and cannot (a scene
            // that is not there) as a warning.
            let noteStyle: Style? = !parsed.isNote ? nil : parsed.chapterTitle != nil ? .bold
                : parsed.noteProblem(projectFolder: url.deletingLastPathComponent()) != nil
                    || planner.sceneNoteProblem(line: i) != nil || planner.overlapNoteProblem(line: i) != nil ? .warning
                : parsed.sceneChange != nil || parsed.pauseSeconds != nil || parsed.overlapSeconds != nil
                    || parsed.cue != nil || parsed.tempo != nil || parsed.gainDecibels != nil || parsed.bed != nil
                    || parsed.exportFileName != nil ? .event : .dim
            func style(at index: Int) -> Style {
                if found.contains(where: { $0.contains(index) }) { return .found }
                if let noteStyle { return selected ? .selection : noteStyle }
                if let span = parsed.spans.first(where: { $0.range.contains(index) }) {
                    switch span.kind {
                    case .speaker(let n?): return selected ? .selection : .speaker(n)
                    case .speaker(nil), .unknown: return selected ? .selection : .unknownTag
                    case .event: return selected ? .selection : .event
                    }
                }
                if !selected, respelled.contains(where: { $0.contains(index) }) { return .respelled }
                return selected ? .selection : .normal
            }
            if isCursor && editing {
                hScroll = DisplayWidth.scrollOffset(chars: chars, cursor: editor.column, width: textWidth, previous: hScroll)
                drawRuns(y, textX, textWidth, chars, from: hScroll, style: style, ellipsis: false)
                cursorSpot = (y, textX + DisplayWidth.column(of: editor.column, in: chars) - DisplayWidth.column(of: hScroll, in: chars))
            } else if isCursor, let match = found.first, textWidth > 12,
                      DisplayWidth.column(of: match.upperBound, in: chars) > textWidth - 1 {
                // The text found lies past what the row shows: the row starts a few characters before it, `…` first.
                let start = DisplayWidth.scrollOffset(chars: chars, cursor: match.upperBound, width: textWidth - 1,
                                                      previous: max(0, match.lowerBound - 8))
                terminal.put(y, textX, terminal.glyph("…", "<"), .dim)
                drawRuns(y, textX + 1, textWidth - 1, chars, from: start, style: style, ellipsis: true)
            } else {
                drawRuns(y, textX, textWidth, chars, from: 0, style: style, ellipsis: true)
            }
            let cell = takeCell(i, id: line.id, playing: line.id == playingID)
            terminal.put(y, takesX, DisplayWidth.truncate(cell.text, to: StudioApp.takesWidth), selected ? .selection : cell.style,
                         width: StudioApp.takesWidth)
        }
        if editor.lines.count > rows {
            let shown = "\(top + 1)-\(min(editor.lines.count, top + rows))/\(editor.lines.count)"
            terminal.put(r.y, max(r.x + 9, takesX - DisplayWidth.of(shown) - 2), shown, .dim)
        }
        return cursorSpot
    }

    /// Draws `chars` from `start` in runs of one style, within `width` columns.
    private func drawRuns(_ y: Int, _ x: Int, _ width: Int, _ chars: [Character], from start: Int, style: (Int) -> Style, ellipsis: Bool) {
        var col = 0
        var i = start
        let total = DisplayWidth.column(of: chars.count, in: chars) - DisplayWidth.column(of: start, in: chars)
        let room = ellipsis && total > width ? width - 1 : width
        while i < chars.count {
            let s = style(i)
            var run = ""
            var runWidth = 0
            while i < chars.count && style(i) == s {
                let w = DisplayWidth.of(chars[i])
                if col + runWidth + w > room { break }
                run.append(chars[i])
                runWidth += w
                i += 1
            }
            if !run.isEmpty { terminal.put(y, x + col, run, s) }
            col += runWidth
            if i < chars.count && style(i) == s { break }
        }
        if ellipsis && total > width { terminal.put(y, x + width - 1, terminal.glyph("…", ">"), .dim) }
    }

    /// The takes column of a line: its job's state, or its take.
    func takeCell(_ i: Int, id: Int, playing: Bool) -> (text: String, style: Style) {
        if let state = queue.state(.line(id)) {
            switch state {
            case .queued: return ("\(terminal.glyph("·", ".")) queued", .queued)
            case .running(let progress):
                let frames = terminal.unicode ? ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"] : ["|", "/", "-", "\\"]
                let spin = frames[(spinner / 1) % frames.count]
                // Several takes asked for at once: which ones these are.
                let which = queue.takeInProgress(of: id).map { " \($0.label)" } ?? ""
                guard let p = progress else { return ("\(spin) starting\(which)", .generating) }
                return ("\(spin) \(String(format: "%.1f", p.seconds))s\(which)", .generating)
            case .failed(let why): return ("\(terminal.glyph("✗", "x")) \(why)", .failed)
            case .cancelled:
                if plan(i)?.take == nil { return ("\(terminal.glyph("⊘", "-")) cancelled", .dim) }
            case .done: break
            }
        }
        guard let plan = plan(i) else { return ("", .normal) }
        if playing, let np = nowPlaying {
            let status = player.currentStatus
            let start = np.stream.lineMarks.last(where: { $0.line == id && $0.offset <= status.position })?.offset ?? 0
            let at = Double(max(0, status.position - start)) / Double(np.sampleRate)
            return ("\(terminal.glyph("▶", ">")) \(String(format: "%.1f", at))s", .good)
        }
        guard let take = plan.take else {
            if let problem = plan.problem { return ("! \(problem)", .warning) }
            return (terminal.glyph("·", "."), .dim)
        }
        let count = plan.takes.takes.count
        let index = (plan.takes.takes.firstIndex { $0.key == take.key } ?? 0) + 1
        // A take cut at its limit is marked so, whether current or not: it is most likely a runaway (out of date
        // too, it is `~✂`: `A` makes it anew). One too long for its cue (a dub's line), or running into the next
        // line's cue, is marked too, as the export names it, so that a scroll through the script shows them all.
        let overrun = plan.isCurrent && !take.cut && timingProblems.overrun(line: i) != nil
        let cut = terminal.glyph("✂", "!")
        let mark = take.cut ? (plan.isCurrent ? cut : "~" + cut) : overrun ? terminal.glyph("»", ">")
            : plan.isCurrent ? terminal.glyph("✓", "+") : "~"
        let style: Style = !plan.isCurrent ? .stale : take.cut || overrun ? .warning : .done
        return ("\(mark) \(String(format: "%.1f", take.seconds))s" + (count > 1 ? " \(index)/\(count)" : ""), style)
    }

    // MARK: Cast and scene

    private func drawCast(_ r: Rect) {
        let focused = focus == .cast
        terminal.put(r.y, r.x, " Cast ", focused ? .panelTitleFocused : .panelTitle)
        terminal.put(r.y, r.x + 7, counted(header.cast.count, "speaker"), .dim)
        var y = r.y + 1
        if header.cast.isEmpty {
            terminal.put(y, r.x + 1, focused ? "no speakers: a adds one" : "no speakers (Tab, then a)", .dim, width: r.width - 1)
            return
        }
        let casting = planner.casting
        // Names as wide as the longest, leaving the voice 10 columns at least ("Detective Smith" and "Detective Jones"
        // are told apart where there is room).
        let nameWidth = max(10, min(header.cast.map { DisplayWidth.of($0.name) }.max() ?? 0, r.width - 14))
        for (i, member) in header.cast.enumerated() where y < r.y + r.height {
            let selected = focused && i == castIndex
            if selected { terminal.fill(y, r.x, r.width, .selection) }
            terminal.put(y, r.x, selected ? terminal.glyph("›", ">") : " ", selected ? .selection : .key)
            terminal.put(y, r.x + 1, terminal.glyph("▌", "|"), .speaker(i))
            terminal.put(y, r.x + 3, DisplayWidth.pad(member.name, to: nameWidth), selected ? .selection : .speaker(i))
            let problem = casting.voiceProblems[i] != nil
            let voice = (problem ? "! " : "") + member.voice.description
            terminal.put(y, r.x + 4 + nameWidth, voice, selected ? .selection : (problem ? .error : .normal), width: r.width - 5 - nameWidth)
            y += 1
        }
        // The selected speaker's voice, in words.
        guard focused, header.cast.indices.contains(castIndex), y < r.y + r.height else { return }
        let member = header.cast[castIndex]
        var detail = casting.voiceProblems[castIndex] ?? ""
        if detail.isEmpty {
            switch member.voice {
            case .automatic: detail = "SPEAKER\(castIndex): the model picks the voice"
            case .profile(let name): detail = "SPEAKER\(castIndex): " + (voices.profile(named: name)?.description ?? "")
            case .clip(let name): detail = "SPEAKER\(castIndex): clip \(name).wav — " + ((try? voices.clipTranscript(name)) ?? "")
            }
        }
        putWrapped(detail, &y, r.x + 1, width: r.width - 2, bottom: r.y + r.height,
                   casting.voiceProblems[castIndex] != nil ? .error : .dim)
    }

    private func drawScene(_ r: Rect) {
        let focused = focus == .scene
        terminal.put(r.y, r.x, " Scene ", focused ? .panelTitleFocused : .panelTitle)
        var y = r.y + 1
        let rows = sceneRows
        if focused {
            let visible = max(1, min(rows.count, r.height - 3))
            let first = max(0, min(sceneIndex - visible / 2, rows.count - visible))
            for i in first..<min(rows.count, first + visible) where y < r.y + r.height {
                let selected = i == sceneIndex
                if selected { terminal.fill(y, r.x, r.width, .selection) }
                let applied = rows[i].choice == header.scene || (rows[i].choice == nil && { if case .inline = header.scene { return true }; return false }())
                terminal.put(y, r.x, selected ? terminal.glyph("›", ">") : " ", selected ? .selection : .key)
                terminal.put(y, r.x + 1, applied ? terminal.glyph("●", "*") : " ", selected ? .selection : .good)
                terminal.put(y, r.x + 3, rows[i].label, selected ? .selection : .normal, width: r.width - 4)
                y += 1
            }
        }
        // Below a `# scene:` note the cursor's line has the note's scene, and the panel shows that one.
        let note = focused || editor.line >= planner.lineCount ? nil : (0...editor.line).last { planner.changesScene(line: $0) }
        let choice = note.flatMap { ScriptLine(editor.lines[$0].text).sceneChange } ?? header.scene
        if let note, y < r.y + r.height {
            terminal.put(y, r.x + 1, "from the note on line \(note + 1):", .dim, width: r.width - 2)
            y += 1
        }
        let text: String
        do {
            // A note's value is checked as the planner checks it (a path or a scene's name misspelt is no description).
            let chosen = try note == nil ? scenes.text(for: choice) : scenes.text(forNote: choice)
            text = chosen ?? (note == nil ? "No scene: the model hears only the voices. Tab here and choose one." : "No scene.")
        } catch {
            putWrapped("! \(error)", &y, r.x + 1, width: r.width - 2, bottom: r.y + r.height, .error)
            return
        }
        if case .named(let name) = choice, !focused {
            terminal.put(y, r.x + 1, name, .bold, width: r.width - 2)
            y += 1
        }
        putWrapped(text, &y, r.x + 1, width: r.width - 2, bottom: r.y + r.height, .dim)
    }

    // MARK: Helpers

    /// Draws `text` wrapped to `width` from row `y` down to `bottom` (not drawn on); what does not fit ends the
    /// last row in `…`.
    func putWrapped(_ text: String, _ y: inout Int, _ x: Int, width: Int, bottom: Int, _ style: Style) {
        let lines = wrap(text, width: width)
        for n in lines.indices where y < bottom {
            let more = y == bottom - 1 && n < lines.count - 1
            terminal.put(y, x, more ? lines[n...].joined(separator: " ") : lines[n], style, width: width)
            y += 1
        }
    }

    func clock(_ seconds: Double) -> String {
        let s = max(0, seconds)
        return String(format: "%02d:%04.1f", Int(s) / 60, s.truncatingRemainder(dividingBy: 60))
    }

    /// Greedy word wrap by display columns (text without spaces, like Chinese, breaks anywhere).
    func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        for paragraph in ProjectFormat.splitLines(text) {
            var line = ""
            var lineWidth = 0
            for word in paragraph.split(separator: " ", omittingEmptySubsequences: false) {
                let w = DisplayWidth.of(word)
                if lineWidth > 0 && lineWidth + 1 + w > width {
                    lines.append(line)
                    line = ""
                    lineWidth = 0
                }
                if w > width {
                    for c in word {
                        let cw = DisplayWidth.of(c)
                        if lineWidth + cw > width {
                            lines.append(line)
                            line = ""
                            lineWidth = 0
                        }
                        line.append(c)
                        lineWidth += cw
                    }
                    continue
                }
                if lineWidth > 0 {
                    line += " "
                    lineWidth += 1
                }
                line += word
                lineWidth += w
            }
            lines.append(line)
        }
        return lines
    }
}
