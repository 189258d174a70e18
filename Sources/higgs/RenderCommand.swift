import ArgumentParser
import AudioIO
import Foundation
import Prompt
import Studio

/// `higgs render`: what the studio's `A` (generate every line without an up-to-date take) and `e` (export)
/// do, without the screen: for a long script left to run overnight, or a build that makes a game's lines.
/// Takes go to the same `NAME.takes/` the studio reads, so either picks up where the other stopped.
struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Generate every line of a project that has no up-to-date take, then export it (no screen).",
        discussion: """
            Lines are generated as the studio generates them (the same takes, context and seeds), in script \
            order; lines whose inputs did not change keep their takes. The export goes to NAME.export/ beside \
            the project, as the studio's `e` writes it. Ctrl-C stops after the line being generated (a second \
            Ctrl-C at once). Exits with 1 when a line could not be generated (each is named with the reason). \
            "line N" is the script's line N, as the studio's gutter numbers it (the header before the script \
            is not counted); a file that does not read names the line of the file.
            """
    )

    @Argument(help: "The project file (*.higgs).")
    var project: String

    @OptionGroup var engine: StudioEngineOptions

    @Flag(help: "Generate the lines only; write no export.")
    var noExport = false

    @Flag(help: "Say what would be generated (and what cannot be) without loading the model or writing anything.")
    var dryRun = false

    @Flag(help: "Generate nothing (no model needed): export the takes there are now, as after changing an export setting.")
    var exportOnly = false

    @Option(parsing: .unconditional, help: "How many times a line whose take runs on to the project's runaway stop is generated again with a new seed, before the lines after it (default: 1). Given, it also makes new takes of the lines whose take an earlier run left cut. Every take is kept; the last is chosen.")
    var retries: Int?

    @Option(help: "Generate only this chapter's lines: its number (0 is the opening, before the first `# chapter:` note) or its title. The export still holds every line with a take.")
    var chapter: String?

    func validate() throws {
        if let retries, !(0...10).contains(retries) { throw ValidationError("--retries must be 0 to 10, found \(retries)") }
        guard !(exportOnly && (noExport || dryRun)) else { throw ValidationError("--export-only goes with neither --no-export nor --dry-run") }
        // --chapter chooses what is generated; an export always holds every line with a take.
        guard !(exportOnly && chapter != nil) else {
            throw ValidationError("--export-only exports every line with a take; --chapter chooses the lines to generate")
        }
    }

    func run() throws {
        do {
            try render()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            Console.error("higgs: \(error)\n")
            throw ExitCode(1)
        }
    }

    private func render() throws {
        let url = URL(fileURLWithPath: project).standardizedFileURL
        let document = try ProjectFile.loadSayingWarnings(url)
        // Ctrl-C, SIGTERM or SIGHUP: the lines being made are finished and kept, the export before is left as it was.
        Interrupt.install()
        // A studio's edits not yet saved are not rendered: said, so that whoever runs this knows why they are missing.
        if let unsaved = ProjectFile.unsavedChanges(of: url) {
            say(unsaved.openIn.map { "\(url.path): a studio (process \($0)) has it open with changes not saved; this renders the file "
                    + "as last saved (Ctrl-S in the studio saves them)" }
                ?? "\(url.path): changes a studio did not save are in \(unsaved.autosave.lastPathComponent); this renders the file as "
                    + "last saved (the studio offers them back when it opens the project)")
        }
        // One render of a project at a time; a dry run writes nothing.
        let lock = dryRun ? nil : try RenderLock.take(url)
        defer { lock?.release() }
        let library = VoiceLibrary(folder: engine.voicesFolder)
        let sceneLibrary = SceneLibrary(folder: engine.scenesFolder)
        let takes = TakeStore(folder: TakeStore.folder(forProject: url))
        let fingerprints = ClipFingerprints()
        // Each line's context is the takes chosen before it, so every job plans from the takes as they are then.
        let planner = { DialoguePlanner(project: document, voices: library, scenes: sceneLibrary, takes: takes, fingerprints: fingerprints) }
        let lineIDs = Array(document.script.indices)
        // A note that means to act and cannot (a tempo out of range, a time that does not read) is said, not skipped in silence.
        // A bed whose file is missing would stop the export after all the generation: it stops here, before it.
        var missingBed: String?
        for (i, text) in document.script.enumerated() {
            let line = ScriptLine(text)
            guard let problem = line.noteProblem(projectFolder: url.deletingLastPathComponent()) else { continue }
            if line.noteProblem == nil { missingBed = missingBed ?? "line \(i + 1), # bed: \(problem)" }
            say("line \(i + 1): this note does nothing: \(problem)")
        }
        let bedStops = missingBed.map { "\($0): the export would fail; add the file or change the note (--no-export generates without exporting)" }
        if let bedStops, !noExport, !dryRun {
            throw StudioError(bedStops)
        }
        let first = planner()
        for i in lineIDs {
            if let problem = first.overlapNoteProblem(line: i) { say("line \(i + 1): this note does nothing: \(problem)") }
            if let change = first.fileNoteChange(line: i) { say("line \(i + 1): \(change)") }
        }
        var spoken = lineIDs.filter { !first.saysNothing(line: $0) }
        var scope = url.lastPathComponent
        if let chapter {
            let chapters = first.chapters
            // A title matched as the studio's find matches text: case and accents ignored ("Saint-Etienne", "Saint-Étienne").
            guard let part = chapters.first(where: {
                Int(chapter) == $0.number || $0.title.compare(chapter, options: [.caseInsensitive, .diacriticInsensitive]) == .orderedSame
            }) else {
                let known = chapters.map { "\($0.number) \($0.title)" }.joined(separator: ", ")
                throw StudioError("\(url.path): no chapter '\(chapter)'" + (known.isEmpty ? " (it has no `# chapter:` notes)" : " (chapters: \(known))"))
            }
            spoken = spoken.filter { part.lines.contains($0) }
            scope += ", chapter \(part.number) (\(part.title))"
        }
        let stale = spoken.filter { first.plan(line: $0).map { !$0.isCurrent } ?? false }
        // Lines an earlier run left cut at the runaway stop: made again only when --retries asks.
        let remade = (retries ?? 0) > 0 ? Self.cutTakes(spoken, first).ranOn : []
        if exportOnly {
            let outdated = stale.filter { first.plan(line: $0)?.take != nil }.count
            say("\(scope): \(counted(spoken.count, "line")), exported as they are (\(outdated) with a take out of date)")
            return try export(url, planner: planner, failed: [])
        }
        // Lines that cannot be generated as written (a speaker not cast, a voice not found), said after the count.
        let problems = stale.compactMap { line in first.plan(line: line)?.problem.map { (line, $0) } }
        var failed = problems.map(\.0)
        var diskFull: String?
        // A line after one made anew goes out of date once that one has its new take (it is the later line's
        // context): it is made too, and keeps its take at once if it is still up to date when its turn comes.
        // Made out of date only, each render would reach `chunk-buffer` lines further.
        let generated = first.linesToMake(spoken.filter { !failed.contains($0) }, remade: remade)
        let following = generated.filter { !stale.contains($0) && !remade.contains($0) }
        say("\(scope): \(counted(spoken.count, "line")), \(generated.count + failed.count) to generate"
            + (remade.isEmpty ? "" : " (\(remade.count) of them cut at the runaway stop before, made again for --retries)")
            + (following.isEmpty ? "" : " (\(following.count) of them after a line made anew, whose take is their context)"))
        if let provisional = chapterContextOutOfDate(spoken, first) { say(provisional) }
        for (line, problem) in problems { say("line \(line + 1): \(problem)") }
        // A line longer than max-new-tokens lets a take be is said before it is made (its take would stop short).
        for line in generated {
            guard let said = first.plan(line: line)?.request?.transcript,
                  let long = SpeakingTime.beyondMaxNewTokens(said, maxNewTokens: document.settings.maxNewTokens) else { continue }
            say("line \(line + 1): \(long)")
        }
        if dryRun {
            // Each line that would be generated, and why: its current take (if any) and how long it lasts.
            for line in generated {
                let take = first.plan(line: line)?.take.map {
                    remade.contains(line) ? String(format: " (its %.1f s take was cut at the runaway stop)", $0.seconds)
                        : following.contains(line) ? String(format: " (its %.1f s take goes out of date: its context is made anew)", $0.seconds)
                        : String(format: " (its %.1f s take is out of date)", $0.seconds)
                } ?? ""
                say("would generate line \(line + 1)\(take): \(document.script[line])")
            }
            sayCutAndStopped(spoken.filter { !generated.contains($0) }, first, maxNewTokens: document.settings.maxNewTokens)
            // The render itself would stop at the missing bed: so does its dry run, after saying what it would do.
            if let bedStops, !noExport { throw StudioError(bedStops) }
            return try finish(failed)
        }
        if !generated.isEmpty {
            let location = engine.location
            if let why = location.unavailableReason { throw StudioError(why) }
            say("loading \(location.display(location.model))")
            // A first start's quantizing says its percentage often: in place on a terminal, and in a log every 10 s at most.
            var lastLogged = Date.distantPast
            Interrupt.endsAtOnce = 1
            let synthesizer = try EngineSynthesizer(location, status: { text in
                if live {
                    Console.error("\r\u{1B}[K\(text)")
                } else if Date().timeIntervalSince(lastLogged) >= 10 {
                    lastLogged = Date()
                    say(text)
                }
            })
            Interrupt.endsAtOnce = 0
            let queue = GenerationQueue(takes: takes, engine: EngineHandle(.ready(synthesizer)),
                                        document: { DocumentSnapshot(planner: planner(), lineIDs: lineIDs) })
            queue.retriesOfCutTakes = retries ?? 1
            queue.remakesKeptCutTakes = !remade.isEmpty
            // The engine's pace in its last session gives an estimate before the first line is made.
            let paces = PaceRecord.standard
            queue.earlierPace = paces.pace(of: synthesizer.engineDescription)
            queue.generate(generated)
            // The audio still ahead after each line, at an ordinary pace (for the estimate of the time left).
            let expected = generated.map { SpeakingTime.expected(forSaying: first.transcript(line: $0)) }
            var ahead = [Double](repeating: 0, count: expected.count)
            for k in stride(from: expected.count - 2, through: 0, by: -1) { ahead[k] = ahead[k + 1] + expected[k + 1] }
            if let earlier = queue.earlierPace, let all = earlier.generatingTime(lines: generated.count, audio: expected.reduce(0, +)) {
                say("about \(spokenDuration(all)) in all, at this engine's pace last time")
            }
            let waited = wait(for: generated, in: queue, audioAhead: ahead)
            failed += waited.failed
            diskFull = waited.diskFull
            paces.record(queue.pace, of: synthesizer.engineDescription)
            queue.stop()
        }
        // Every render ends with the lines still cut, made in this run or an earlier one.
        sayCutAndStopped(spoken.filter { !failed.contains($0) }, planner(), maxNewTokens: document.settings.maxNewTokens)
        guard !noExport else { return try finish(failed) }
        // Stopped with Ctrl-C, or on a full disk: the export before stays whole (a partial one would replace it); the
        // next render goes on.
        if let diskFull {
            say("stopped: the disk is full (\(diskFull)); not exported (\(DialogueExport.folder(forProject: url).lastPathComponent)/ "
                + "is as it was); the takes made are kept: free some space and render again")
            return try finish(failed)
        }
        if Interrupt.requested {
            say("stopped: not exported (\(DialogueExport.folder(forProject: url).lastPathComponent)/ is as it was); "
                + "the takes made are kept, and the next render goes on from them")
            return try finish(failed)
        }
        try export(url, planner: planner, failed: failed)
    }

    /// With `--chapter`: when the lines before the chapter in its scene (its first lines' context, and theirs) are
    /// not all up to date, the chapter's new takes go out of date once those are made; said, with what to do.
    private func chapterContextOutOfDate(_ chapterLines: [Int], _ planner: DialoguePlanner) -> String? {
        guard chapter != nil, let start = chapterLines.first, planner.project.settings.chunkBuffer > 0 else { return nil }
        var before: [Int] = []
        var j = start - 1
        while j >= 0 && !planner.changesScene(line: j) {
            if let plan = planner.plan(line: j), !plan.isCurrent { before.append(j) }
            j -= 1
        }
        guard !before.isEmpty else { return nil }
        let named = before.reversed().prefix(5).map { String($0 + 1) }.joined(separator: ", ") + (before.count > 5 ? ", …" : "")
        return "the lines before this chapter in its scene are its first lines' context, and \(counted(before.count, "line")) of them "
            + "(\(named)) \(before.count == 1 ? "has" : "have") no up-to-date take: this chapter's lines will be made again once they have "
            + "(a render of the whole script, or of the chapters in order, makes each line once)"
    }

    /// The lines among `lines` whose up-to-date take was cut: at the runaway stop (it ran on), or at max-new-tokens.
    private static func cutTakes(_ lines: [Int], _ planner: DialoguePlanner) -> (ranOn: [Int], stopped: [Int]) {
        let cut = lines.compactMap { line -> (Int, Bool)? in
            guard let plan = planner.plan(line: line), plan.isCurrent, let take = plan.take, take.cut else { return nil }
            return (line, take.ranOn)
        }
        return (cut.filter(\.1).map(\.0), cut.filter { !$0.1 }.map(\.0))
    }

    /// Names the lines among `lines` whose up-to-date take was cut: at the runaway stop, or at max-new-tokens.
    private func sayCutAndStopped(_ lines: [Int], _ planner: DialoguePlanner, maxNewTokens: Int) {
        func listed(_ lines: [Int]) -> String { lines.map { String($0 + 1) }.joined(separator: ", ") }
        let (cut, stopped) = Self.cutTakes(lines, planner)
        if !cut.isEmpty {
            say("cut at their limit (the model ran on past the words): line \(listed(cut)) — listen to them; "
                + "--retries N makes new takes of them, as r does in the studio")
        }
        if !stopped.isEmpty {
            say("stopped at max-new-tokens (\(maxNewTokens)) before the model ended them: line \(listed(stopped))"
                + " — a higher max-new-tokens lets them end")
        }
    }

    /// Exports the project as the studio's `e` does, says what was written, and ends with the failures.
    private func export(_ url: URL, planner: () -> DialoguePlanner, failed: [Int]) throws {
        let folder = DialogueExport.folder(forProject: url)
        // A render is its audio: with no take to export, nothing is written (the studio's export would still write the
        // transcript), and the run fails.
        let lines = planner()
        let anyTake = lines.project.script.indices.contains { !lines.saysNothing(line: $0) && lines.exportedTake(line: $0) != nil }
        guard anyTake else { throw ExportRefused(takes: lines.takes.folder, export: folder) }
        // What an export stopped at once (a second Ctrl-C) left beside the folder goes, whatever this one does.
        DialogueExport.removeAbandonedStagings(of: folder)
        // Nothing new since the export there: it is left as it is, its files' times too.
        if DialogueExport.isUnchanged(lines, name: DialogueExport.name(forProject: url), to: folder) {
            say("\(folder.path)/ is up to date: nothing has changed since it was exported, so nothing was written")
            return try finish(failed)
        }
        let report: ExportReport
        do {
            report = try DialogueExport.export(lines, name: DialogueExport.name(forProject: url), to: folder) { _ in
                if Interrupt.requested { throw Interrupt.Stopped() }
            }
        } catch is Interrupt.Stopped {
            say("stopped: not exported (\(folder.lastPathComponent)/ is as it was); the takes are kept")
            return try finish(failed)
        }
        var text = "exported to \(report.folder.path)/: \(counted(report.lines, "line")), \(String(format: "%.1f", report.seconds)) s"
        if report.chapters > 0 { text += " in \(counted(report.chapters, "chapter file"))" }
        if let verdict = report.missingVerdict { text += "; " + verdict }
        if let verdict = report.timingVerdict { text += "; " + verdict }
        if let verdict = report.audiobookVerdict { text += "; " + verdict }
        say(text)
        try finish(failed)
    }

    /// Reports each line as it ends, in script order; cancels the rest at Ctrl-C, or once a take could not be written
    /// for want of space (each line after would be generated for nothing). Returns the lines that failed, and the
    /// failure that said the disk is full.
    private func wait(for lines: [Int], in queue: GenerationQueue, audioAhead: [Double]) -> (failed: [Int], diskFull: String?) {
        var failed: [Int] = []
        var cancelling = false
        var diskFull: String?
        var stopped = 0
        // When each line was seen to start and to end: lines of other scenes are made beside the one
        // waited for, and may be done before their turn to be reported comes.
        var startedAt: [Int: Date] = [:], endedAt: [Int: Date] = [:]
        func look() {
            let running = Set(queue.jobs.running.compactMap { job -> Int? in if case .line(let l) = job { return l } else { return nil } })
            let now = Date()
            for line in running where startedAt[line] == nil { startedAt[line] = now }
            for line in startedAt.keys where endedAt[line] == nil && !running.contains(line) { endedAt[line] = now }
        }
        for (n, line) in lines.enumerated() {
            let label = "line \(line + 1) (\(n + 1)/\(lines.count))"
            look()
            while let state = queue.state(.line(line)), state.isActive {
                look()
                if Interrupt.requested && !cancelling {
                    // The lines being generated go on (their takes are kept); the ones waiting are dropped.
                    cancelling = true
                    for waiting in queue.jobs.queued { queue.cancel(waiting) }
                    say("stopping after the lines being generated (Ctrl-C again stops at once)")
                }
                // On a terminal, the audio made so far, in place (a long line is a minute or more); before its first
                // audio, that the line has begun (its prompt is read first: tens of seconds on a slow machine).
                if live, case .running(let progress) = state {
                    let text = progress.map { String(format: "%@: %.1f s of audio", label, $0.seconds) } ?? "\(label): reading its prompt…"
                    Console.error("\r\u{1B}[K\(text)")
                }
                Thread.sleep(forTimeInterval: 0.1)
            }
            if live { Console.error("\r\u{1B}[K") }
            switch queue.state(.line(line)) {
            case .done(.take(let info, let cached))?:
                let seconds = Double(info.samples) / Double(AudioFormat.sampleRate)
                // How long the rest will take, at the pace of the lines generated so far: a prompt each, and their audio.
                let left = queue.estimatingPace?.pace.generatingTime(lines: lines.count - n - 1, audio: audioAhead[n]).flatMap { time in
                    n + 1 == lines.count || cancelling ? nil : "; about \(spokenDuration(time)) left"
                } ?? ""
                say(cached ? "\(label): its take, kept"
                    : String(format: "%@: %.1f s of audio in %.1f s", label, seconds,
                             max(0, (endedAt[line] ?? Date()).timeIntervalSince(startedAt[line] ?? Date())))
                        + (info.ranOn ? ", cut at its limit" : info.cut ? ", stopped at max-new-tokens" : "") + left)
            case .failed(let why)?:
                say("\(label): \(why)")
                failed.append(line)
                if why.contains(String(cString: strerror(ENOSPC))) && diskFull == nil {
                    diskFull = why
                    cancelling = true
                    for waiting in queue.jobs.queued { queue.cancel(waiting) }
                    say("the disk is full: stopping after the lines being generated")
                }
            default:
                // Stopped before it began: said once for all of them, below, not a line each.
                stopped += 1
                failed.append(line)
            }
        }
        if stopped > 0 { say("\(counted(stopped, "line")) not generated (stopped): the next render makes them") }
        return (failed, diskFull)
    }

    /// Ends the run: stopped (by a signal) is its own status, else a line not generated is a failure.
    private func finish(_ failed: [Int]) throws {
        if !failed.isEmpty { say("not generated: line " + lineRuns(failed)) }
        if Interrupt.requested { throw ExitCode(Interrupt.exitStatus) }
        if !failed.isEmpty { throw ExitCode(1) }
    }

    private var live: Bool { isatty(STDERR_FILENO) != 0 }

    private func say(_ text: String) {
        Console.error("\(live ? "\r\u{1B}[K" : "")\(text)\n")
    }

}
