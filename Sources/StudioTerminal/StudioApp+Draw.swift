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
        terminal.clear()
        let l = layout
        if l.isTooSmall {
            terminal.put(0, 0, "Higgs Studio needs at least \(Layout.minimumWidth)x\(Layout.minimumHeight) (this is \(l.width)x\(l.height)).", .warning)
            terminal.put(1, 0, "Make the window bigger, or press Ctrl-Q to quit.", .dim)
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
        add(" Higgs Studio ", .appName)
        add(" \(displayName)", .bar)
        if isDirty { add(" \(terminal.glyph("●", "*"))", .bar) }
        let sceneLabel: String
        switch header.scene {
        case .none: sceneLabel = "no scene"
        case .named(let name): sceneLabel = "scene: \(name)"
        case .inline: sceneLabel = "scene: your own"
        }
        let lines = editor.lines.filter { !ScriptLine($0.text).saysNothing }.count
        add(" \(terminal.glyph("·", "-")) \(sceneLabel) \(terminal.glyph("·", "-")) \(counted(header.cast.count, "speaker")) \(terminal.glyph("·", "-")) \(counted(lines, "line"))", .bar)
        if exportSeconds > 0 {
            // The runtime of the takes made so far, as the export would lay them out.
            let whole = Int(exportSeconds.rounded())
            add(" \(terminal.glyph("·", "-")) \(whole / 60):\(String(format: "%02d", whole % 60)) of audio", .bar)
        }
        let help = " F1 help "
        if x + DisplayWidth.of(help) < l.width { terminal.put(0, l.width - DisplayWidth.of(help), help, .bar) }
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
        let textX = r.x + 6
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
            terminal.put(y, r.x + 1, String(format: "%3d", i + 1), selected ? .selection : (isCursor ? .bold : .dim))
            let speaker = i < planner.casting.lineSpeakers.count ? planner.casting.lineSpeakers[i] : nil
            if let s = speaker {
                terminal.put(y, r.x + 4, terminal.glyph("▌", "|"), .speaker(s))
            }

            let parsed = ScriptLine(line.text, cast: names)
            let chars = Array(line.text)
            let found = highlightsFound ? ScriptEditor.occurrences(of: lastFind, in: line.text) : []
            func style(at index: Int) -> Style {
                if found.contains(where: { $0.contains(index) }) { return .found }
                if parsed.isNote {
                    if selected { return .selection }
                    // Notes that do something (a scene, a pause) in the event colour; chapters as headings.
                    if parsed.chapterTitle != nil { return .bold }
                    return parsed.sceneChange != nil || parsed.pauseSeconds != nil ? .event : .dim
                }
                if let span = parsed.spans.first(where: { $0.range.contains(index) }) {
                    switch span.kind {
                    case .speaker(let n?): return selected ? .selection : .speaker(n)
                    case .speaker(nil), .unknown: return selected ? .selection : .unknownTag
                    case .event: return selected ? .selection : .event
                    }
                }
                return selected ? .selection : .normal
            }
            if isCursor && editing {
                hScroll = DisplayWidth.scrollOffset(chars: chars, cursor: editor.column, width: textWidth, previous: hScroll)
                drawRuns(y, textX, textWidth, chars, from: hScroll, style: style, ellipsis: false)
                cursorSpot = (y, textX + DisplayWidth.column(of: editor.column, in: chars) - DisplayWidth.column(of: hScroll, in: chars))
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
                guard let p = progress else { return ("\(spin) starting", .generating) }
                return ("\(spin) \(String(format: "%.1f", p.seconds))s", .generating)
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
        let mark = plan.isCurrent ? terminal.glyph("✓", "+") : "~"
        return ("\(mark) \(String(format: "%.1f", take.seconds))s" + (count > 1 ? " \(index)/\(count)" : ""), plan.isCurrent ? .done : .stale)
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
        for (i, member) in header.cast.enumerated() where y < r.y + r.height {
            let selected = focused && i == castIndex
            if selected { terminal.fill(y, r.x, r.width, .selection) }
            terminal.put(y, r.x, selected ? terminal.glyph("›", ">") : " ", selected ? .selection : .key)
            terminal.put(y, r.x + 1, terminal.glyph("▌", "|"), .speaker(i))
            terminal.put(y, r.x + 3, DisplayWidth.pad(member.name, to: 10), selected ? .selection : .speaker(i))
            let problem = casting.voiceProblems[i] != nil
            let voice = (problem ? "! " : "") + member.voice.description
            terminal.put(y, r.x + 14, voice, selected ? .selection : (problem ? .error : .normal), width: r.width - 15)
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
        for line in wrap(detail, width: r.width - 2) where y < r.y + r.height {
            terminal.put(y, r.x + 1, line, casting.voiceProblems[castIndex] != nil ? .error : .dim)
            y += 1
        }
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
        let note = focused ? nil : editor.lines[...editor.line].lastIndex { ScriptLine($0.text).sceneChange != nil }
        let choice = note.flatMap { ScriptLine(editor.lines[$0].text).sceneChange } ?? header.scene
        if let note, y < r.y + r.height {
            terminal.put(y, r.x + 1, "from the note on line \(note + 1):", .dim, width: r.width - 2)
            y += 1
        }
        let text: String
        do {
            text = try scenes.text(for: choice) ?? (note == nil ? "No scene: the model hears only the voices. Tab here and choose one." : "No scene.")
        } catch {
            for line in wrap("! \(error)", width: r.width - 2) where y < r.y + r.height {
                terminal.put(y, r.x + 1, line, .error)
                y += 1
            }
            return
        }
        if case .named(let name) = choice, !focused {
            terminal.put(y, r.x + 1, name, .bold, width: r.width - 2)
            y += 1
        }
        for line in wrap(text, width: r.width - 2) where y < r.y + r.height {
            terminal.put(y, r.x + 1, line, .dim)
            y += 1
        }
    }

    // MARK: Bottom rows

    private func drawTransport(_ y: Int) {
        let width = terminal.width
        let status = player.currentStatus
        var x = 1
        func add(_ text: String, _ style: Style = .normal) {
            guard x < width else { return }
            terminal.put(y, x, text, style)
            x += DisplayWidth.of(text)
        }
        guard let np = nowPlaying, status.state != .idle else {
            if let problem = audioProblem {
                add("\(terminal.glyph("■", "#")) ", .dim)
                add("audio off: \(problem)", .warning)
            } else {
                add("\(terminal.glyph("■", "#")) stopped  ", .dim)
                add("Space", .key)
                add(" plays the line  ", .dim)
                add("P", .key)
                add(" plays from here", .dim)
            }
            return
        }
        let icon: String
        switch status.state {
        case .playing: icon = terminal.glyph("▶", ">")
        case .waiting: icon = terminal.glyph("…", "~")
        case .paused: icon = terminal.glyph("⏸", "=")
        case .finished: icon = terminal.glyph("■", "#")
        case .failed: icon = terminal.glyph("✗", "x")
        case .idle: icon = " "
        }
        if case .failed(let why) = status.state {
            add("\(icon) ", .error)
            add(why, .warning)
            return
        }
        let rate = Double(np.sampleRate)
        let total = np.stream.count
        let growing = np.stream.state == .open
        add("\(icon) ", status.state == .playing ? .good : .dim)
        add(clock(Double(status.position) / rate), .bold)
        add(" / \(clock(Double(total) / rate))\(growing ? "+" : "")", .dim)
        switch np.kind {
        case .audition(let voice):
            add("  audition ", .dim)
            add(voice)
        case .line, .fromLine:
            if let id = np.stream.line(at: status.position) ?? np.kind.lineID, let i = editor.index(of: id) {
                add("  line ", .dim)
                add("\(i + 1)", .bold)
            }
        }
        if status.state == .waiting {
            // The lead it waits for grows when generation is slower than real time (see PlaybackLead).
            add("  buffering \(String(format: "%.1f", Double(status.lead) / rate)) s…", .generating)
        }
        // Waveform of what plays, with the playhead; then the level meter.
        let meterWidth = 12
        let waveWidth = width - x - meterWidth - 6
        if waveWidth >= 10 && total > 0 {
            add("  ")
            let peaks = np.stream.peaks(0..<max(total, 1), buckets: waveWidth)
            let head = Int(Double(status.position) / Double(max(total, 1)) * Double(waveWidth))
            let blocks = terminal.unicode ? Array("▁▂▃▄▅▆▇█") : Array("_.-=^")
            var wave = ""
            for p in peaks { wave.append(blocks[min(blocks.count - 1, Int(min(1, p) * Float(blocks.count - 1) + 0.5))]) }
            let chars = Array(wave)
            terminal.put(y, x, String(chars[..<min(head, chars.count)]), .generating)
            terminal.put(y, x + min(head, chars.count), String(chars[min(head, chars.count)...]), .border)
            x += waveWidth
        }
        add("  ")
        let level = status.level > 0 ? max(0, (20 * log10(Double(status.level)) + 48) / 48) : 0
        let lit = Int((level * Double(meterWidth)).rounded())
        for i in 0..<meterWidth {
            let on = i < lit
            terminal.put(y, x + i, on ? terminal.glyph("█", "#") : terminal.glyph("░", "."), on ? .meter(i >= meterWidth - 2 ? 2 : i >= meterWidth - 4 ? 1 : 0) : .border)
        }
    }

    private func drawStatus(_ y: Int) {
        let width = terminal.width
        let audio = audioProblem == nil ? "audio: \(options.audioDevice)" : "audio: off"
        let right = " \(audio) "
        let engineText: String
        var style: Style = .dim
        switch engine.state {
        case .unavailable:
            let location = options.engine
            engineText = location.missing.isEmpty ? "engine: not in this build"
                : "engine: no model in \(location.display(location.model)) — g says more"
            style = .warning
        case .loading(let what):
            let frames = terminal.unicode ? ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"] : ["|", "/", "-", "\\"]
            engineText = "engine: \(frames[spinner % frames.count]) \(what)…"
        case .ready(let synthesizer):
            let e = synthesizer.engineDescription
            var text = "engine: \(options.engine.display(URL(fileURLWithPath: e.modelPath))) · \(e.precision) · \(e.threads) threads"
            // Generating several lines (and auditions): how many are left, counting the one running.
            let left = queue.jobs.queued.count + (queue.jobs.running == nil ? 0 : 1)
            if left > 1 { text += " · \(left) to go" }
            if let fps = queue.framesPerSecond {
                text += String(format: " · %.1f frames/s (%.2fx real time)", fps, fps / Double(AudioFormat.frameRate))
            }
            engineText = text
        case .failed(let why):
            engineText = "engine failed: \(why)"
            style = .error
        }
        let room = max(1, width - DisplayWidth.of(right) - 1)
        terminal.put(y, 0, " " + DisplayWidth.truncate(engineText, to: room - 1), style, width: room)
        terminal.put(y, width - DisplayWidth.of(right), right, audioProblem == nil ? .dim : .warning)
    }

    private func drawHints(_ y: Int) {
        let width = terminal.width
        if let m = message, m.until > Date() {
            // A long message takes the rows above too (up to five), for as long as it shows.
            let lines = Array(wrap(m.text, width: width - 2).prefix(5))
            for (n, line) in lines.enumerated() {
                let row = y - (lines.count - 1) + n
                terminal.fill(row, 0, width, .normal)
                terminal.put(row, 1, line, m.style)
            }
            return
        }
        message = nil
        if focus == .script, !editing {
            if let state = queue.state(.line(currentID)), case .failed(let why) = state {
                terminal.put(y, 1, DisplayWidth.truncate("line \(editor.line + 1): \(why)", to: width - 2), .error)
                return
            }
            if let p = plan(editor.line), let problem = p.problem {
                terminal.put(y, 1, DisplayWidth.truncate("line \(editor.line + 1): \(problem)", to: width - 2), .warning)
                return
            }
        }
        let hints: [(String, String)]
        switch context {
        case .script, .everywhere:
            hints = [("Enter", "edit"), ("g", "generate"), ("p", "play"), ("t", "speaker"), ("o", "new line"), ("[ ]", "takes"),
                     ("e", "export"), ("/", "find"), ("Tab", "cast"), ("?", "help"), ("q", "quit")]
        case .editing:
            hints = [("Esc", "done"), ("Enter", "new turn"), ("Ctrl-T", "speaker"), ("Ctrl-G", "generate"), ("Ctrl-P", "play"),
                     ("Ctrl-Z", "undo"), ("Ctrl-S", "save"), ("F1", "help")]
        case .cast:
            hints = [("Enter", "voice"), ("a", "add"), ("n", "rename"), ("x", "remove"), ("l", "audition"), ("J K", "move"),
                     ("Tab", "scene"), ("Esc", "script"), ("?", "help")]
        case .scene:
            hints = [("Enter", "use"), ("E", "write your own"), ("Tab", "script"), ("Esc", "script"), ("?", "help")]
        }
        var x = 1
        for (key, what) in hints {
            let w = DisplayWidth.of(key) + DisplayWidth.of(what) + 3
            guard x + w <= width else { break }
            terminal.put(y, x, key, .key)
            terminal.put(y, x + DisplayWidth.of(key) + 1, what, .dim)
            x += w
        }
    }

    // MARK: Helpers

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
