import Foundation
import Playback
import Studio

/// The script panel's actions: editing, line operations, generation, playback, takes, export.
extension StudioApp {
    var currentID: Int { editor.currentLine.id }

    /// Tag names `t` cycles through: the cast, else the tags the script uses, else two speakers.
    var speakerNames: [String] {
        if !header.cast.isEmpty { return header.cast.map(\.name) }
        let used = Set(editor.lines.compactMap { line -> Int? in
            if case .tag(let n)? = ScriptLine(line.text).speaker { return n }
            return nil
        })
        return (0...max(1, used.max() ?? 1)).map { "SPEAKER\($0)" }
    }

    func moveLine(by delta: Int) {
        editor.moveVertically(delta)
    }

    func performScript(_ action: StudioAction) throws {
        switch action {
        case .lineUp, .cursorUp: editor.moveVertically(-1)
        case .lineDown, .cursorDown: editor.moveVertically(1)
        case .pageUp: editor.moveVertically(-max(1, scriptRows - 1))
        case .pageDown: editor.moveVertically(max(1, scriptRows - 1))
        case .firstLine: editor.moveTo(line: 0)
        case .lastLine: editor.moveTo(line: editor.lines.count - 1)
        case .nextNote, .previousNote:
            // The script's headings: chapters, scenes, the writer's own notes; not a line's pause or other setting (a
            // book has one every few lines).
            let forward = action == .nextNote
            let order = forward ? Array((editor.line + 1)..<editor.lines.count) : Array((0..<editor.line).reversed())
            if let i = order.first(where: { ScriptLine(editor.lines[$0].text).isHeading }) {
                editor.moveTo(line: i)
            } else {
                say("No heading \(forward ? "below" : "above") (a # chapter:, # scene: or other # note).", .dim, seconds: 3)
            }
        case .nextToDo, .previousToDo:
            // Going through a long script, the lines still to make (or make again) one after another.
            let forward = action == .nextToDo
            let order = forward ? Array((editor.line + 1)..<editor.lines.count) : Array((0..<editor.line).reversed())
            let wanting = { (i: Int) -> Bool in
                if case .failed? = self.queue.state(.line(self.editor.lines[i].id)) { return true }
                guard let plan = self.plan(i) else { return false }
                // A dub's line too long for its cue, or running into the next one's, wants another take too (or shorter words).
                return plan.wantsTake || plan.isCurrent && self.timingProblems.overrun(line: i) != nil
            }
            if let i = order.first(where: wanting) {
                editor.moveTo(line: i)
            } else {
                say(forward ? "No line below is still to make." : "No line above is still to make.", .dim, seconds: 3)
            }
        case .lineHintInFull:
            // A message wraps over up to five rows; the hint row cuts at the window's width.
            if let hint = lineHint() {
                say(hint.text, hint.style, seconds: 30)
                hintInFull = (currentID, hint.text)
            } else {
                say(lineState())
            }
        case .editLine:
            // While found text is highlighted, editing starts at it in the line (as its row shows it), else at the end.
            if highlightsFound, let found = ScriptEditor.occurrences(of: lastFind, in: editor.currentLine.text).first {
                editor.moveTo(line: editor.line, column: found.lowerBound)
            } else {
                editor.moveToLineEnd()
            }
            editing = true
        case .editLineStart:
            let line = ScriptLine(editor.currentLine.text, cast: header.cast.map(\.name))
            editor.moveTo(line: editor.line, column: line.bodyOffset)
            editing = true
        case .newLineBelow, .newLineAbove:
            editor.newLine(above: action == .newLineAbove, text: nextSpeakerPrefix(above: action == .newLineAbove))
            editing = true
        case .deleteLine:
            let text = editor.deleteLine()
            if !text.isEmpty { say("Deleted “\(text)” — u brings it back.") }
        case .duplicateLine: editor.duplicateLine()
        case .moveLineUp: editor.moveLine(by: -1)
        case .moveLineDown: editor.moveLine(by: 1)
        case .nextSpeaker, .previousSpeaker:
            editor.cycleSpeaker(speakerNames, forward: action == .nextSpeaker)
        case .generateLine: try generate([currentID], play: true)
        case .generateFromCursor: try generate(editor.lines[editor.line...].map(\.id), play: false)
        case .generateAll:
            // The lines out of date, and those after them whose context they are (out of date once those have their
            // new takes); any still up to date when its turn comes keeps its take.
            let lines = planner.linesToMake(Array(editor.lines.indices))
            guard !lines.isEmpty else { return say("Every line has an up-to-date take.", .good) }
            try generate(lines.map { editor.lines[$0].id }, play: false)
        case .regenerate: try generate([currentID], play: true, reseed: true)
        case .cancelLine:
            queue.cancel(.line(currentID))
            if pendingPlay == .line(currentID) { pendingPlay = nil }
        case .cancelAll:
            queue.cancelAll()
            pendingPlay = nil
            say(exportWaits ? "Cancelled all generation, and the export waiting for it." : "Cancelled all generation.")
            exportWaits = false
        case .playPause:
            switch player.currentStatus.state {
            case .playing, .waiting, .paused: player.togglePause()
            default: playLine(currentID)
            }
        case .playLine: playLine(currentID)
        case .playFromCursor: playFromCursor()
        case .stop:
            player.stop()
            pendingPlay = nil
            listenThrough?.cancel()
            listenThrough = nil
        case .skipBack, .skipForward: skip(forward: action == .skipForward)
        case .previousTake: chooseTake(by: -1)
        case .nextTake: chooseTake(by: 1)
        case .listTakes: try listTakes()
        case .keepTakeAsVoice: try keepTakeAsVoice()
        case .export: export()
        case .settings: try showSettings()
        case .pronunciations: try showPronunciations()
        case .find:
            guard let query = try prompt("Find (Enter; then n next, N previous):", initial: lastFind, selected: true) else { return }
            lastFind = query
            findLine(forward: true)
        case .findNext, .findPrevious:
            guard !lastFind.isEmpty else { return say("Nothing to find yet: / asks for the text.", .dim, seconds: 3) }
            findLine(forward: action == .findNext)
        case .clearFind: highlightsFound = false
        case .replace: try replaceEverywhere()

        case .stopEditing: editing = false
        case .splitLine: editor.splitLine()
        case .cursorLeft: editor.moveLeft()
        case .cursorRight: editor.moveRight()
        case .cursorLineStart: editor.moveToLineStart()
        case .cursorLineEnd: editor.moveToLineEnd()
        case .cursorWordLeft: editor.moveWordLeft()
        case .cursorWordRight: editor.moveWordRight()
        case .deleteBackward: editor.backspace()
        case .deleteForward: editor.deleteForward()
        case .deleteWordBackward: editor.deleteWordBackward()
        case .deleteToLineStart: editor.deleteToLineStart()
        case .deleteToLineEnd: editor.deleteToLineEnd()
        default: break
        }
    }

    /// `R`: a text replaced in every line, after saying how many it would change.
    private func replaceEverywhere() throws {
        guard let query = try prompt("Replace (whole words, in every line, case and accents ignored):", initial: lastFind, selected: true),
              !query.isEmpty else { return }
        let count = editor.lines.map { ScriptEditor.replaceableOccurrences(of: query, in: $0.text).count }
        let total = count.reduce(0, +)
        guard total > 0 else { return say("No line says “\(query)” (speaker and sound tags are left alone).", .warning) }
        guard let replacement = try prompt("Replace “\(query)” (\(counted(total, "time")) in \(counted(count.filter { $0 > 0 }.count, "line"))) with:",
                                           initial: query, selected: true) else { return }
        let done = editor.replaceEverywhere(query, with: replacement)
        lastFind = replacement
        highlightsFound = !replacement.isEmpty
        say("Replaced “\(query)” \(counted(done.count, "time")) in \(counted(done.lines, "line")) — Ctrl-Z takes it back.")
    }

    /// Moves to the next (or previous) line containing `lastFind`, and says where it is among them.
    private func findLine(forward: Bool) {
        let matches = editor.lines(containing: lastFind)
        guard let target = editor.nextMatch(in: matches, forward: forward) else {
            highlightsFound = false
            return say("No line contains “\(lastFind)”.", .warning)
        }
        let wrapped = forward ? target <= editor.line : target >= editor.line
        editor.moveTo(line: target)
        highlightsFound = true
        let position = "\(matches.firstIndex(of: target)! + 1) of \(matches.count)"
        say("“\(lastFind)”: line \(target + 1), \(position)\(wrapped && matches.count > 1 ? " (wrapped around)" : "").")
    }

    /// A new line starts with the speaker who spoke before the cursor line's speaker (dialogue alternates),
    /// or the cursor line's speaker, or nothing.
    private func nextSpeakerPrefix(above: Bool) -> String {
        let names = header.cast.map(\.name)
        func speaker(_ i: Int) -> String? {
            guard editor.lines.indices.contains(i) else { return nil }
            switch ScriptLine(editor.lines[i].text, cast: names).speaker {
            case .name(let n)?: return n
            case .tag(let k)?: return "SPEAKER\(k)"
            case nil:
                // A line without a tag goes on with the speaker before it.
                guard i < planner.lineCount, let s = planner.casting.lineSpeakers[i], header.cast.indices.contains(s) else { return nil }
                return header.cast[s].name
            }
        }
        guard let here = speaker(editor.line) else { return "" }
        if above { return "[\(here)] " }
        var i = editor.line - 1
        while i >= 0 {
            if let s = speaker(i), s != here { return "[\(s)] " }
            i -= 1
        }
        return "[\(here)] "
    }

    /// Where the cursor's line stands, for `!` when nothing is wrong with it.
    func lineState() -> String {
        let n = editor.line + 1
        switch queue.state(.line(currentID)) {
        case .running?: return "Line \(n) is being made."
        case .queued?: return "Line \(n) is queued to be made."
        default: break
        }
        guard let plan = plan(editor.line) else { return "Line \(n): a note or a blank line; nothing to make of it." }
        guard let take = plan.take else { return "Line \(n) has no take of its words yet: g makes one." }
        let seconds = String(format: "%.1f s", take.seconds)
        return plan.isCurrent ? "Line \(n): its take (\(seconds)) is up to date."
            : "Line \(n): its take (\(seconds)) is out of date: its words, voice, scene or settings, or the takes before it, changed "
                + "since it was made. g makes it anew; until then it plays and is exported as it is."
    }

    // MARK: Generation

    func generate(_ ids: [Int], play: Bool, reseed: Bool = false) throws {
        // Blank lines and notes have nothing to generate (queued, they would only fail).
        let ids = ids.filter { id in editor.index(of: id).map { !ScriptLine(editor.lines[$0].text).saysNothing } ?? false }
        guard !ids.isEmpty else { return say("Nothing to generate: a blank line or a note (# ...) says nothing.", .dim, seconds: 4) }
        try offerCheckpointFetch()
        // A single line asked for while it waits behind others (A queued the script): it goes next.
        if ids.count == 1, case .queued? = queue.state(.line(ids[0])), queue.jobs.queued.first != .line(ids[0]),
           queue.makeNext(ids[0]) {
            say("Line \((editor.index(of: ids[0]) ?? 0) + 1) is made next, before the lines queued ahead of it.")
        }
        // One being made already (its words as they are now: an edit starts it again by itself).
        if ids.count == 1, case .running? = queue.state(.line(ids[0])) {
            if play { pendingPlay = .line(ids[0]) }
            return say("Line \((editor.index(of: ids[0]) ?? 0) + 1) is being made; c cancels it"
                       + (reseed ? ", and r then makes a new take." : "."), .dim, seconds: 4)
        }
        queue.generate(ids, reseed: reseed)
        if ids.count > 1 {
            // A run asked for while another is made covers both.
            let going = askedRun?.lines.filter { queue.state(.line($0))?.isActive == true } ?? []
            askedRun = GenerationRun(going + ids.filter { !going.contains($0) })
        }
        if play { pendingPlay = .line(ids[0]) }
        if case .unavailable(let why) = engine.state {
            say(why, .warning, seconds: 12)
        } else if case .failed(let why) = engine.state {
            say("the engine failed to load: \(why)", .error, seconds: 12)
        } else if ids.count > 1 {
            // Lines that cannot be made as written (an uncast speaker, a missing voice or scene) fail at once.
            let blocked = ids.filter { id in editor.index(of: id).flatMap { plan($0)?.problem } != nil }.count
            say("Queued \(counted(ids.count - blocked, "line")); lines whose inputs did not change are taken from their takes"
                + (blocked == 0 ? "." : "; \(counted(blocked, "line")) cannot be made as written (✗ says why)."),
                blocked == 0 ? .normal : .warning)
        }
    }

    /// A setting, the cast, a scene or a voice changed while a run was made: when that put lines it has made out of
    /// date, the run's lines still to make are queued again in script order (`GenerationRun`), so that none is made
    /// with context about to change.
    func replanRun(from before: DocumentSnapshot) {
        guard let run = askedRun else { return }
        let isActive = { (id: Int) in self.queue.state(.line(id))?.isActive == true }
        guard run.lines.contains(where: isActive) else { return askedRun = nil }
        guard let lines = run.replanned(from: before, to: published.current, isActive: isActive), !lines.isEmpty else { return }
        queue.replan(run.lines, making: lines)
        let first = editor.index(of: lines[0]).map { $0 + 1 } ?? 1
        say("That change put lines already made out of date: \(counted(lines.count, "line")) queued again, in script order, "
            + "from line \(first).", .warning, seconds: 8)
    }

    /// `3r`: several new takes of the line, made together; the first plays as it comes. (Twenty at
    /// most: a count typed too long is not an hour of generating.)
    func makeTakes(_ asked: Int) throws {
        let count = min(asked, 20)
        guard count > 1 else { return try generate([currentID], play: true, reseed: true) }
        let id = currentID
        guard !ScriptLine(editor.currentLine.text).saysNothing else {
            return say("Nothing to generate: a blank line or a note (# ...) says nothing.", .dim, seconds: 4)
        }
        guard queue.state(.line(id))?.isActive != true else {
            return say("Line \(editor.line + 1) is already being made; c cancels it.", .warning, seconds: 4)
        }
        try offerCheckpointFetch()
        queue.makeTakes(count, of: id)
        pendingPlay = .line(id)
        if case .unavailable(let why) = engine.state { return say(why, .warning, seconds: 12) }
        if case .failed(let why) = engine.state { return say("the engine failed to load: \(why)", .error, seconds: 12) }
        let most = asked > count ? " (20 at most)" : ""
        let playing = audioProblem == nil ? ", the first playing as it comes" : ""  // no device: nothing plays
        // A take that runs on (one not heard as it came) is made again, so the count is of takes that end.
        let again = queue.retriesOfCutTakes > 0 ? " (one that runs on is made again)" : ""
        say("Making \(count) new takes of line \(editor.line + 1)\(most)\(playing)\(again); L lists them to hear and choose.")
    }

    /// Starts the audio a generate or audition key asked for, once the job has some; and follows a line heard
    /// as it is made into its new words when an edit made it start again.
    func startPendingPlayback() {
        if let np = nowPlaying, case .line(let id) = np.kind, case .failed = np.stream.state, case .running? = queue.state(.line(id)),
           let again = queue.liveAudio(.line(id)), again !== np.stream, player.currentSource as AnyObject? === np.stream {
            start(again, kind: .line(id))
        }
        guard let job = pendingPlay, let state = queue.state(job) else { return }
        switch state {
        case .queued:
            break
        case .running:
            if let stream = queue.liveAudio(job) {
                pendingPlay = nil
                start(stream, kind: kind(of: job))
            }
        case .done(let outcome):
            pendingPlay = nil
            if case .take(let info, _) = outcome, case .line(let id) = job {
                playTake(info, lineID: id)
            } else if let stream = queue.liveAudio(job) {
                start(stream, kind: kind(of: job))
            }
        case .failed, .cancelled:
            pendingPlay = nil
        }
    }

    private func kind(of job: GenerationJob) -> NowPlaying.Kind {
        switch job {
        case .line(let id): return .line(id)
        case .audition(let voice, _): return .audition(voice.description)
        }
    }

    // MARK: Takes and export

    /// Pasted text (from a terminal that marks pastes): into the line being written as if typed; in the
    /// script, as lines below the cursor, with turns written elsewhere (`Name: text`, a screenplay) made
    /// `[Name] text` as `higgs import` makes them and their speakers cast. One undo step either way.
    func paste(_ text: String) {
        if editing {
            let first = editor.line
            editor.paste(text)
            // The lines the paste leaves behind are left as if the writer had moved on from them.
            for i in first..<editor.line { castSpeaker(ofLine: editor.lines[i].id) }
            return
        }
        guard focus == .script else { return say("Paste into the script, or into a text field.", .dim, seconds: 3) }
        let pasted = ScriptImport.project(from: text)
        guard !pasted.script.isEmpty else { return }
        let newcomers = pasted.cast.filter { header.castIndex(named: $0.name) == nil }
        editor.insertLines(pasted.script) { $0.cast += newcomers }
        let joined = newcomers.isEmpty ? "" : "; \(newcomers.map(\.name).joined(separator: ", ")) joined the cast with automatic voices"
        say("Pasted \(counted(pasted.script.count, "line"))\(joined) (Ctrl-Z takes it back).", .good)
    }

    private func chooseTake(by delta: Int) {
        guard let plan = plan(editor.line), !plan.takes.takes.isEmpty else {
            say("This line has no takes yet.", .warning)
            return
        }
        let list = plan.takes.takes
        let at = list.firstIndex { $0.key == plan.take?.key } ?? (list.count - 1)
        let next = max(0, min(list.count - 1, at + delta))
        guard next != at else {
            say(delta < 0 ? "This is the oldest take." : "This is the newest take.", .dim, seconds: 3)
            return
        }
        do {
            try takes.choose(list[next].key, line: plan.identity, transcript: plan.transcript)
            takesRevision += 1
            let t = list[next]
            say("Take \(next + 1) of \(list.count): \(String(format: "%.1f", t.seconds)) s, seed \(t.seed), made \(t.createdLocally)\(t.engine.isEmpty ? "" : " by \(t.engine)").")
        } catch {
            say("cannot choose the take: \(error)", .error)
        }
    }

    /// `L`: every take of the line, newest last, to hear (`l`) and choose (Enter).
    private func listTakes() throws {
        if ScriptLine(editor.currentLine.text).saysNothing { return say("A note or a blank line is not spoken: it has no takes.", .dim, seconds: 3) }
        guard let first = plan(editor.line), !first.takes.takes.isEmpty else { return say("This line has no takes yet.", .warning) }
        let id = currentID, line = editor.line
        // Read again each turn: takes still being made (3r) join the list as they come.
        var plan = first
        var list: [TakeInfo] { plan.takes.takes }
        func items() -> [(String, String)] {
            if let now = self.plan(line), !now.takes.takes.isEmpty { plan = now }
            return list.enumerated().map { n, t -> (String, String) in
                let mark = t.key == plan.take?.key ? terminal.glyph("▸", ">") : " "
                var about = String(format: "%.1f s · seed %llu", t.seconds, t.seed) + (t.reseeded ? " (new seed)" : "")
                if t.cut { about += t.atMaxNewTokens ? " · stopped at max-new-tokens" : " · cut at its limit" }
                if t.key == plan.key { about += " · up to date" }  // made from the line, settings and context as they are now
                about += " · \(t.createdLocally)" + (t.engine.isEmpty ? "" : " · \(t.engine)")
                return ("\(mark) take \(n + 1)", about)
            }
        }
        let current = list.firstIndex { $0.key == first.take?.key } ?? list.count - 1
        let title = "Takes of line \(line + 1) — l hear · Enter choose · Esc close"
        guard let chosen = try pick(title, liveItems: items, selected: current, onAudition: { row in
            if list.indices.contains(row) { self.playTake(list[row], lineID: id) }
        }) else { return }
        do {
            try takes.choose(list[chosen].key, line: plan.identity, transcript: plan.transcript)
            takesRevision += 1
            say("Take \(chosen + 1) of \(list.count) is the line's take.")
        } catch {
            say("cannot choose the take: \(error)", .error)
        }
    }

    /// `e`: the export, on a thread of its own (a long book with MP3s takes minutes); the screen says how far
    /// it has got and what it wrote. While lines of the script are still being made (an `A`), it waits for the
    /// takes they are making; `e` again does not wait. An export with nothing new since is left as it is, as
    /// `render` leaves it (minutes saved on a book, files' times kept); `e` again writes it anew.
    private func export() {
        if let job = exportJob, job.isRunning { return say("Still exporting to \(job.folder.path)/…", .dim) }
        let folder = DialogueExport.folder(forProject: url)
        let making = linesBeingMade
        let again = exportUpToDateSaid.map { Date().timeIntervalSince($0) < 10 } ?? false
        exportUpToDateSaid = nil
        if !again && making == 0, DialogueExport.isUnchanged(planner, name: DialogueExport.name(forProject: url), to: folder) {
            exportUpToDateSaid = Date()
            return say("\(folder.lastPathComponent)/ is up to date: nothing has changed since it was exported (e again writes it anew).",
                       .dim, seconds: 10)
        }
        if making > 0 && !exportWaits {
            exportWaits = true
            return say("\(counted(making, "line")) \(making == 1 ? "is" : "are") still being made: the export starts once "
                       + "\(making == 1 ? "it is" : "they are") done (e again exports the takes there are now).", .dim, seconds: 8)
        }
        startExport()
    }

    private func startExport() {
        exportWaits = false
        exportJob = ExportJob(planner, name: DialogueExport.name(forProject: url), to: DialogueExport.folder(forProject: url))
        say("Exporting…", .dim, seconds: 1)
    }

    /// Lines of this script queued or being made (auditions are not).
    private var linesBeingMade: Int {
        let ids = Set(editor.lines.map(\.id))
        return (queue.jobs.queued + queue.jobs.running).filter { job in
            if case .line(let id) = job { return ids.contains(id) } else { return false }
        }.count
    }

    /// Each turn: how the export is getting on, and what it wrote once it has; a waiting export starts once the
    /// lines it waits for are made.
    func followExport() {
        if exportWaits && linesBeingMade == 0 { startExport() }
        guard let job = exportJob else { return }
        switch job.state {
        case .running(let what):
            if message == nil || message!.text.hasPrefix("Exporting") { say("Exporting: \(what)…", .dim, seconds: 1) }
        case .failed(let why):
            exportJob = nil
            say("export failed: \(why)", .error, seconds: 10)
        case .refused(let why):
            exportJob = nil
            say("\(why).", .warning, seconds: 15)
        case .done(let report):
            exportJob = nil
            var text = "Exported to \(job.folder.path)/: "
            if report.lines == 0 {
                text += "the transcript only (no line has a take yet)."
            } else {
                let extras = (report.chapters > 0 ? ", \(counted(report.chapters, "chapter"))" : "")
                    + (report.files.contains { $0.hasPrefix("stems/") } ? ", stems" : "")
                    + (report.files.contains { $0.hasSuffix(".mp3") } ? ", MP3s" : "")
                text += "\(counted(report.lines, "line")), \(String(format: "%.1f", report.seconds)) s (WAV, per-line WAVs\(extras), SRT, VTT, transcript)"
                text += report.missingVerdict.map { "; \($0)" } ?? ""
                text += report.timingVerdict.map { "; \($0)" } ?? ""
                text += report.audiobookVerdict.map { "; \($0)." } ?? "."
            }
            say(text, .good, seconds: 10)
        }
    }
}
