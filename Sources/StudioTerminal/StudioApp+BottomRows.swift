import Foundation
import Playback
import Studio

/// The rows under the panels: the transport (what plays, where, how loud), the status line (the engine,
/// messages) and the keys that apply now.
extension StudioApp {
    func drawTransport(_ y: Int) {
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
        if status.state == .waiting, total == 0, growing {
            // Nothing made yet: the model reads the line's prompt first (tens of seconds on a slow machine).
            add("  reading the prompt…", .generating)
        } else if status.state == .waiting, let wait = np.stream.secondsUntilPlaysThrough(from: status.position), wait > 0 {
            // A line made slower than real time waits once, for as much as lets it play to its end.
            add(wait.isFinite ? "  buffering \(String(format: "%.1f", Double(max(0, total - status.position)) / rate)) s, plays in about "
                + spokenDuration(wait) + "…" : "  buffering…", .generating)
        } else if status.state == .waiting {
            // The lead it waits for grows when generation is slower than real time (see PlaybackLead).
            add("  buffering \(String(format: "%.1f / %.1f", Double(max(0, total - status.position)) / rate, Double(status.lead) / rate)) s…",
                .generating)
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

    func drawStatus(_ y: Int) {
        let width = terminal.width
        let audio = audioProblem == nil ? "audio: \(options.audioDevice)" : "audio: off"
        let right = " \(audio) "
        // The engine's facts, dropped whole from the end where the row has no room for them; a long model path is cut
        // to keep the precision and threads in view.
        let facts: [String]
        var style: Style = .dim
        switch engine.state {
        case .unavailable:
            let location = options.engine
            facts = [location.missing.isEmpty ? "engine: not in this build"
                : checkpointFetch != nil ? "engine: no model here — g offers to download it"
                : "engine: no model in \(location.display(location.model)) — g says more"]
            style = .warning
        case .loading(let what):
            let frames = terminal.unicode ? ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"] : ["|", "/", "-", "\\"]
            facts = ["engine: \(frames[spinner % frames.count]) \(what)…"]
        case .ready(let synthesizer):
            let e = synthesizer.engineDescription
            var ready = ["engine: \(options.engine.display(URL(fileURLWithPath: e.modelPath)))", e.precision, counted(e.threads, "thread")]
            // Generating several lines (and auditions): how many are left, counting those running.
            let running = queue.jobs.running
            let left = queue.jobs.queued.count + running.count
            let takesLeft = running.first.flatMap { job -> Int? in
                guard case .line(let id) = job, let t = queue.takeInProgress(of: id) else { return nil }
                return t.of - t.first + 1
            }
            if let takesLeft, takesLeft > 1, left == 1 {
                ready.append("\(takesLeft) takes to go" + (generatingLeft().map { ", \($0)" } ?? ""))
            } else if left > 1 {
                ready.append("\(left) to go" + (generatingLeft().map { ", \($0)" } ?? ""))
            } else if left == 1, let time = generatingLeft() {
                ready.append("\(time) to go")
            }
            if left == 0 && queue.isPrefillingAhead { ready.append("preparing lines ahead") }
            // The model's pace once a prompt is read, and what a prompt takes, apart: the one is the machine's speed,
            // the other what a line waits before its first sound.
            // Before this session has made a line, the last session's, said so.
            if let (pace, earlier) = queue.estimatingPace, let step = pace.stepPace {
                ready.append(String(format: "%@%.1f frames/s (%.2fx real time)", earlier ? "last time " : "", step.framesPerSecond,
                                    step.framesPerSecond / Double(AudioFormat.frameRate)))
                ready.append("a prompt " + String(format: step.promptSeconds < 10 ? "%.1f s" : "%.0f s", step.promptSeconds))
            }
            facts = ready
        case .failed(let why):
            facts = [checkpointFetch != nil ? "engine: the download stopped (g tries again): \(CheckpointFetch.causeFirst(why))"
                : "engine failed: \(why)"]
            style = .error
        }
        let room = max(1, width - DisplayWidth.of(right) - 1)
        terminal.put(y, 0, " " + DisplayWidth.fitting(facts, separator: " \(terminal.glyph("·", "-")) ", width: room - 1, kept: 3),
                     style, width: room)
        terminal.put(y, width - DisplayWidth.of(right), right, audioProblem == nil ? .dim : .warning)
    }

    /// The cursor's line's cue, and whether its take fits it.
    func cueHint(_ cue: Cue, line: Int, take: TakeInfo?) -> (String, Style) {
        var text = "at \(cue.written)"
        if let length = cue.seconds { text += String(format: " (%.1f s)", length) }
        guard let take else { return (text, .dim) }
        let rate = Double(AudioFormat.sampleRate)
        // At the line's tempo, before fitting.
        let natural = planner.atTempo(line: line, length: planner.trimmedLength(of: take))
        let seconds = Double(planner.fittedLength(line: line, length: natural) ?? natural) / rate
        text += String(format: ": the take is %.1f s", seconds)
        if seconds < Double(natural) / rate {
            let faster = (Double(natural) / rate / seconds - 1) * 100
            return (text + String(format: ", sped up %.0f%% from %.1f s to fit (fit-cues)", faster, Double(natural) / rate), .dim)
        }
        if let delay = timingProblems.delay(line: line) {
            text += String(format: "; it starts %.1f s late, when line %d ends", delay.seconds, delay.after + 1)
        }
        guard let over = timingProblems.overrun(line: line) else { return (text, timingProblems.delay(line: line) == nil ? .dim : .warning) }
        let why = over.intoCueOf.map { String(format: ", %.1f s into line %d's cue", over.seconds, $0 + 1) }
            ?? String(format: ", %.1f s too long", over.seconds)
        return (text + why + " — write it shorter, r for another take, or raise fit-cues", .warning)
    }

    func drawHints(_ y: Int) {
        let width = terminal.width
        // A line's hint shown in full belongs to that line (another message since is left alone).
        if let shown = hintInFull, shown.line != currentID || message?.text != shown.text {
            if message?.text == shown.text { message = nil }
            hintInFull = nil
        }
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
        if focus == .script, !editing, let hint = lineHint() {
            terminal.put(y, 1, Self.fitted(hint.text, to: width - 2), hint.style)
            return
        }
        let hints: [(String, String)]
        switch context {
        case .script where playsFromHere, .everywhere where playsFromHere:
            // A listen-through: the keys of reviewing what is heard.
            hints = [("← →", "line before / next"), ("Space", "pause"), ("s", "stop"), ("r", "new take"), ("3r", "three to choose from"),
                     ("L", "takes"), ("Enter", "edit"), ("?", "help")]
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

    /// What the bottom row says of the script's current line when no message shows: why it failed or cannot be
    /// made, what is wrong with its take or note, its cue, what it says respelled; nil for nothing.
    func lineHint() -> (text: String, style: Style)? {
        if let state = queue.state(.line(currentID)), case .failed(let why) = state {
            return ("line \(editor.line + 1): \(why)", .error)
        }
        if let problem = ScriptLine(editor.lines[editor.line].text).noteProblem(projectFolder: url.deletingLastPathComponent()) {
            return ("line \(editor.line + 1): this note does nothing: \(problem)", .warning)
        }
        if let change = planner.fileNoteChange(line: editor.line) {
            return ("line \(editor.line + 1): \(change)", .warning)
        }
        if let problem = planner.sceneNoteProblem(line: editor.line) {
            return ("line \(editor.line + 1): \(problem)", .warning)
        }
        if let problem = planner.overlapNoteProblem(line: editor.line) {
            return ("line \(editor.line + 1): this note does nothing: \(problem)", .warning)
        }
        if let p = plan(editor.line), let problem = p.problem {
            return ("line \(editor.line + 1): \(problem)", .warning)
        }
        if let p = plan(editor.line), let take = p.take, take.cut {
            let stale = p.isCurrent ? "" : " (and it is out of date: A or g makes it anew)"
            let text = take.atMaxNewTokens
                ? String(format: "line %d: its take stopped at %.1f s, at max-new-tokens (%d), before the model ended it — raise it in the settings (,)",
                         editor.line + 1, take.seconds, header.settings.maxNewTokens)
                : String(format: "line %d: its take was cut at %.1f s, far past its words (the model ran on) — r makes a new one, L lists the takes",
                         editor.line + 1, take.seconds)
            return (text + stale, .warning)
        }
        if let p = plan(editor.line), !p.isCurrent, let request = p.request,
           let long = SpeakingTime.beyondMaxNewTokens(request.transcript, maxNewTokens: header.settings.maxNewTokens) {
            return ("line \(editor.line + 1): \(long)", .warning)
        }
        if let cue = planner.cue(before: editor.line), !ScriptLine(editor.lines[editor.line].text).saysNothing {
            return cueHint(cue, line: editor.line, take: plan(editor.line)?.take)
        }
        // A line without a cue of its own can still run into the next line's.
        if plan(editor.line)?.isCurrent == true, let over = timingProblems.overrun(line: editor.line) {
            return (over.said + " — write it shorter, or r for another take", .warning)
        }
        if let long = timingProblems.longOverlap(line: editor.line) {
            return (long.said + " — shorten the overlap", .warning)
        }
        let line = ScriptLine(editor.lines[editor.line].text)
        // In an audiobook, a pause written just above a chapter is that chapter's lead-in: more than ACX's second of
        // room tone fails its check (the author most often meant it to end the chapter before).
        if header.settings.audiobook, let pause = line.pauseSeconds, pause > 1,
           let next = (editor.line + 1..<editor.lines.count).first(where: { !ScriptLine(editor.lines[$0].text).isBlank }),
           let title = ScriptLine(editor.lines[next].text).chapterTitle {
            return (String(format: "line %d: this pause opens the chapter below (%@): %.1f s of room tone first, where ACX wants 0.5 to 1; "
                           + "a chapter's file already ends in 2 s of it", editor.line + 1, title.isEmpty ? "untitled" : title, pause), .warning)
        }
        // Untagged lines go on with the speaker before them; one with none before it, in a script that has speakers,
        // has no voice of the cast.
        if !line.saysNothing, !header.cast.isEmpty, editor.line < planner.casting.lineSpeakers.count,
           planner.casting.lineSpeakers[editor.line] == nil {
            return ("line \(editor.line + 1): no speaker (no tag, and none before it): the model picks its voice; a [Name] tag casts it", .dim)
        }
        // What the model is given, where a pronunciation respells the line (W lists them).
        if !line.saysNothing, header.pronunciations.occur(in: line.body) {
            let said = header.pronunciations.applied(to: line.body).trimmingCharacters(in: .whitespaces)
            return ("said: \(said)  (W: pronunciations)", .dim)
        }
        return nil
    }

    /// `text` in `width` columns; one cut short says that `!` shows it whole.
    static func fitted(_ text: String, to width: Int) -> String {
        guard DisplayWidth.of(text) > width else { return text }
        let more = " (! shows all)"
        return DisplayWidth.truncate(text, to: max(1, width - DisplayWidth.of(more))) + more
    }

    /// "Play from here" is playing (or paused).
    var playsFromHere: Bool {
        guard case .fromLine? = nowPlaying?.kind else { return false }
        return [.playing, .waiting, .paused].contains(player.currentStatus.state)
    }

    /// About how long the lines queued (and the ones running) will take, at this session's pace (the last session's
    /// before this one has made a line): a prompt each, and their audio at the model's pace. Nil when no pace is
    /// known. The queued lines' audio is worked out again only when the queue or the script changes, not on every
    /// frame (a whole script queued is thousands of lines).
    func generatingLeft() -> String? {
        guard let (pace, earlier) = queue.estimatingPace else { return nil }
        let queued = queue.jobs.queued
        if !(queuedAudio?.isFor(queued, revision: editor.revision) ?? false) {
            let index = Dictionary(editor.lines.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
            var seconds = 0.0, lines = 0
            for case .line(let id) in queued {
                guard let i = index[id], i < planner.lineCount else { continue }
                seconds += SpeakingTime.expected(forSaying: planner.transcript(line: i))
                lines += 1
            }
            queuedAudio = QueuedAudio(count: queued.count, first: queued.first, revision: editor.revision, seconds: seconds, lines: lines)
        }
        // The lines running: each one's time left, summed (an estimate from above where several run together).
        var running = 0.0
        for job in queue.jobs.running {
            guard case .line(let id) = job, let i = editor.index(of: id), i < planner.lineCount else { continue }
            var made: Double?
            if case .running(let progress?)? = queue.state(job), progress.frames > 0 { made = progress.seconds }
            let expected = SpeakingTime.expected(forSaying: planner.transcript(line: i))
            // Its prompt still to read until its first frame.
            running += pace.generatingTime(lines: made == nil ? 1 : 0, audio: max(0, expected - (made ?? 0))) ?? 0
            // Several takes asked for at once: the ones after those being made (each as long as a line made
            // alone: an estimate from above, since takes made together share their steps).
            if let more = queue.takeInProgress(of: id) {
                running += Double(more.of - more.last) * (pace.generatingTime(lines: 1, audio: expected) ?? 0)
            }
        }
        let queuedTime = pace.generatingTime(lines: queuedAudio?.lines ?? 0, audio: queuedAudio?.seconds ?? 0) ?? 0
        return "about " + spokenDuration(running + queuedTime) + (earlier ? " (at last session's pace)" : "")
    }
}

/// The expected audio of the lines queued, and the queue and script it was worked out for.
struct QueuedAudio {
    var count: Int
    var first: GenerationJob?
    var revision: Int
    var seconds: Double
    /// The script lines among the jobs (the rest are auditions).
    var lines: Int

    /// Worked out for this queue (its length and first job: jobs leave from the front and join at the back)
    /// and this revision of the script.
    func isFor(_ queued: [GenerationJob], revision: Int) -> Bool {
        count == queued.count && first == queued.first && self.revision == revision
    }
}
