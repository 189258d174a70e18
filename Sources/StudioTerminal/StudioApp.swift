import Foundation
import Prompt
import Playback
import Studio

/// A signal arrived while the screen waited for a key: the loop unwinds, autosaves and restores the terminal.
struct Interrupted: Error {
    let signal: Int32
}

/// Ctrl-Q with unsaved changes in a window too small to ask about them.
struct QuitUnasked: Error {}

/// The document as the generation worker reads it, replaced after every change.
final class PublishedDocument: @unchecked Sendable {
    private let lock = NSLock()
    private var value: DocumentSnapshot

    init(_ value: DocumentSnapshot) { self.value = value }

    var current: DocumentSnapshot {
        get { lock.lock(); defer { lock.unlock() }; return value }
        set { lock.lock(); value = newValue; lock.unlock() }
    }
}

/// What the transport bar follows.
struct NowPlaying {
    enum Kind: Equatable {
        case line(Int)
        case fromLine(Int)
        case audition(String)
    }

    var kind: Kind
    var stream: AudioStream
    var sampleRate: Int = AudioFormat.sampleRate
}

/// The studio: document, libraries, queue and player, the event loop and the actions.
final class StudioApp {
    enum Focus { case script, cast, scene }

    let options: StudioOptions
    let terminal = Terminal()

    // The document.
    var url: URL
    /// The project without its script: scene, cast and settings, edited through the editor (one undo history).
    var header: Project { editor.header }
    var editor: ScriptEditor
    /// The project as last saved, or as first shown when it was never saved: the changes are measured from it.
    var baseline: Project
    /// The file exists (a new project asks for its name on the first save).
    var onDisk: Bool
    /// What the file held when it was last read or written here (nil: nothing was): a save first checks that no
    /// other program has written it since.
    var diskContents: Data? {
        didSet { autosaveBase = diskContents.map(ProjectFile.baseDigest) }
    }
    /// What the changes in the autosave began from (`ProjectFile.autosave`'s `base`): the file as last read or written
    /// here; after a recovery, what the recovered changes began from.
    var autosaveBase: String?
    /// The file's size and modification time when it was last looked at for changes by another program.
    var diskStamp: DiskStamp?
    var diskCheckedAt = Date.distantPast
    var lastAutosaved: Project?
    /// Whose autosave this studio writes: the shared one (nil), or its own (this process) when it opened the project
    /// while another studio had it open, so that neither overwrites nor removes the other's unsaved work.
    var autosaveProcess: pid_t?
    /// When the autosave was last brought up to date (monotonic seconds).
    var autosavedAt = 0.0
    /// The line whose hint `!` is showing in full, as a message, and its text: it goes when the cursor leaves the line.
    var hintInFull: (line: Int, text: String)?
    /// The writer named the file (on the command line, or by opening it): saving does not ask for a name.
    var chosenName: Bool
    /// Grows when what the plan reads besides the document changes (Voices/ and Scenes/ re-read, the takes' folder).
    var inputsRevision = 0

    // What the document uses.
    var voices: VoiceLibrary
    var scenes: SceneLibrary
    var takes: TakeStore
    let fingerprints = ClipFingerprints()
    let engine: EngineHandle
    let published: PublishedDocument
    var queue: GenerationQueue
    let player: AudioPlayer
    var audioProblem: PlaybackError?

    // Derived, rebuilt when the document or the takes change.
    var planner: DialoguePlanner
    var plans: [Int: LinePlan] = [:]
    private var plannedFor = (revision: -1, inputs: -1, takes: -1)
    /// Where the engines' paces are kept between sessions, the engine and queue the earlier pace was given to, and the
    /// pace last kept.
    let paceRecord = PaceRecord.standard
    private var pacedEngine: (engine: EngineDescription, queue: GenerationQueue)?
    private var recordedPace: GenerationPace?
    /// The header the planner was built from: a change to it is a change of every line's inputs (`replanRun`).
    private var plannedHeader: Project?
    /// What the last prefill ahead was asked for: the cursor's line and the revisions above.
    private var prefillWish: [Int] = []
    var takesRevision = 0
    /// How long the export would be with the takes made so far (the title bar shows it).
    var exportSeconds = 0.0
    /// The lines that run past their cues or wait past them with the takes there are now, as the export names them.
    var timingProblems = TimingProblems()
    /// Each line's text when the states were last checked (see `forgetEditedStates`).
    var lineTexts: [Int: String] = [:]

    // The screen.
    var focus: Focus = .script
    var editing = false
    var top = 0
    var hScroll = 0
    var castIndex = 0
    var sceneIndex = 0
    var message: (text: String, style: Style, until: Date)?
    /// What the file opened at start holds that this version keeps without using, said once the screen is up.
    private var openingWarning: String?
    /// The text `/` last looked for (`n` and `N` look for it again), and whether the script shows where
    /// it occurs (until Esc).
    var lastFind = ""
    var highlightsFound = false
    var nowPlaying: NowPlaying?
    /// Play this job's audio as soon as it starts (or, for a cached line, its take when done).
    var pendingPlay: GenerationJob?
    /// "Play from here" being read as it plays (P).
    var listenThrough: ListenThrough?
    var quitting = false
    /// The export running, if any (`e`).
    var exportJob: ExportJob?
    /// `e` was pressed while lines of the script were still being made: the export starts once they are.
    var exportWaits = false
    /// When `e` last found the export up to date: `e` again soon after writes it anew all the same.
    var exportUpToDateSaid: Date?
    /// The lines last asked for together (`A`, or from the cursor), while any of them is still to be made.
    var askedRun: GenerationRun?
    /// The lines queued, in expected seconds of audio (for the engine line's estimate of the time left).
    var queuedAudio: QueuedAudio?
    var spinner = 0
    /// A count typed before a script key (`3r`: three new takes; `5j`: five lines down).
    var count: Int?
    /// The line the cursor was taken to by playback it follows; nil when it does not follow.
    var followedLine: Int?
    /// Whether the download of the checkpoints from here stopped (it is then offered again).
    let fetchStopped = FetchStopped()

    init(options: StudioOptions) throws {
        self.options = options
        url = URL(fileURLWithPath: options.projectPath ?? SampleProject.fileName).standardizedFileURL
        let opened = try StudioApp.openProject(at: url, named: options.projectPath != nil)
        baseline = opened.project
        onDisk = opened.onDisk
        diskContents = opened.onDisk ? ProjectFile.contents(of: url) : nil
        autosaveBase = diskContents.map(ProjectFile.baseDigest)  // (no didSet in an initializer)
        chosenName = options.projectPath != nil
        editor = ScriptEditor(lines: opened.project.script, header: opened.project)
        openingWarning = StudioApp.told(opened.warnings)
        lastAutosaved = nil
        voices = VoiceLibrary(folder: options.voicesFolder)
        scenes = SceneLibrary(folder: options.scenesFolder)
        takes = TakeStore(folder: TakeStore.folder(forProject: url))

        if let why = options.engine.unavailableReason {
            engine = EngineHandle(.unavailable(why))
        } else if options.makeSynthesizer == nil {
            engine = EngineHandle(.unavailable("Found the checkpoints in \(options.engine.display(options.engine.model)), but this build of higgs has no generation engine yet."))
        } else {
            engine = EngineHandle(.loading(""))
        }
        var project = editor.header
        project.script = editor.texts
        planner = DialoguePlanner(project: project, voices: voices, scenes: scenes, takes: takes, fingerprints: fingerprints)
        published = PublishedDocument(DocumentSnapshot(planner: planner, lineIDs: editor.lines.map(\.id)))
        queue = StudioApp.queue(takes: takes, engine: engine, published: published)
        player = AudioPlayer(device: options.audioDevice, configuration: options.audioConfiguration)
        sceneIndex = sceneRowOfHeader
    }

    /// The whole project as it is now.
    var project: Project {
        var p = header
        p.script = editor.texts
        return p
    }

    var isDirty: Bool { !editor.holds(baseline) }

    var displayName: String { url.lastPathComponent }

    // MARK: The loop

    func run() throws -> Int32 {
        try terminal.start()
        defer { terminal.stop() }
        do {
            guard try openHereToo(url, otherwise: "quit") else { return 0 }
        } catch let interrupted as Interrupted {
            return 128 + interrupted.signal
        }
        claim(url)
        defer { OpenMark.clear(url) }
        if let make = options.makeSynthesizer, case .loading = engine.state {
            let location = options.engine
            engine.load("loading \(location.display(location.model))") { [engine] in
                try make(location) { engine.stillLoading($0) }
            }
        }
        audioProblem = AudioPlayer.probe(device: options.audioDevice, configuration: options.audioConfiguration)
        do {
            try offerRecovery()
            let folder = url.deletingLastPathComponent()
            let joined = castScriptNewcomers()
            if let problem = options.engine.configProblem {
                say("\(problem) — the config file is not used", .warning, seconds: 10)
            } else if let warning = openingWarning {
                say(warning, .warning, seconds: 15)
            } else if !onDisk && !FileManager.default.fileExists(atPath: folder.path) {
                say("There is no folder \(folder.path): Ctrl-S cannot save there; Alt-S saves the project elsewhere.", .warning, seconds: 15)
            } else if !onDisk && !chosenName {
                say("The sample script, unsaved: ? shows the keys, Ctrl-S saves it.")
            } else if let problem = audioProblem {
                say("\(problem) — playback is off; export still works", .warning)
            } else if let joined {
                say(joined, .good, seconds: 10)
            }
            while !quitting {
                try step()
            }
            return 0
        } catch is QuitUnasked {
            // Quit where no question can be shown: the changes are kept where a signal would keep them.
            exportJob?.stop()
            let kept = keepUnsaved()
            terminal.stop()
            Console.error("higgs: quit in a window too small to ask about unsaved changes; \(kept.said)\n")
            if kept.lost { Console.error(ProjectFormat.print(project)) }
            return 0
        } catch let interrupted as Interrupted {
            let kept = isDirty ? keepUnsaved() : nil
            terminal.stop()
            exportJob?.stop()  // within seconds: what it had written goes with it
            let name = String(cString: strsignal(interrupted.signal))
            Console.error("higgs: \(name)\(kept.map { "; " + $0.said } ?? "")\n")
            // Written nowhere: the script itself, the last place it can be kept (a terminal's scrollback).
            if let kept, kept.lost { Console.error(ProjectFormat.print(project)) }
            return 128 + interrupted.signal
        }
    }

    /// Where the unsaved changes go when a signal ends the studio: the autosave (offered on the next open), or where
    /// that cannot be written (a folder not writable, a full disk), a copy in the temporary folder. `lost`: neither
    /// could be written.
    private func keepUnsaved() -> (said: String, lost: Bool) {
        let autosave = ProjectFile.autosaveURL(for: url, process: autosaveProcess)
        do {
            try ProjectFile.autosave(project, for: url, process: autosaveProcess, base: autosaveBase)
            return ("unsaved changes are in \(autosave.path) (offered on next open)", false)
        } catch {
            // Named after the project, short enough for any file system (a name too long is one way the autosave fails).
            let name = url.deletingPathExtension().lastPathComponent
            let spare = FileManager.default.temporaryDirectory.appendingPathComponent("higgs-unsaved-\(getpid())-\(name.prefix(100)).higgs")
            do {
                try AtomicFile.write(Data(ProjectFormat.print(project).utf8), to: spare)
                return ("the autosave could not be written (\(error)); unsaved changes are in \(spare.path) instead: "
                        + "open it and save it where you want it", false)
            } catch {
                return ("unsaved changes could not be written anywhere (\(error)): the project follows", true)
            }
        }
    }

    /// One turn: bring derived state up to date, draw, wait for one event, handle it, autosave.
    private func step() throws {
        refresh()
        followExport()
        followDisk()
        followPlayback()
        draw()
        let event = try nextEvent()
        let edited = editing ? currentID : nil
        switch event {
        case .key(let key): try handle(key)
        case .resize: terminal.hardRefresh()
        case .click(let y, let x): click(y: y, x: x)
        case .wheel(let delta): if focus == .script && !editing { moveLine(by: delta) }
        case .paste(let text): paste(text)
        case .tick, .hangup: break
        }
        if let edited, !(editing && currentID == edited) { castSpeaker(ofLine: edited) }
        // Written in a pause of the keys (a tick without one), or after two seconds of typing: a long script takes
        // milliseconds to write, and the next key's echo would wait for it.
        if event == .tick || ProcessInfo.processInfo.systemUptime - autosavedAt >= 2 { autosave() }
    }

    /// Waits for the next event; a pending signal ends the wait with `Interrupted`.
    func nextEvent() throws -> Terminal.Event {
        if let s = Signals.received { throw Interrupted(signal: s) }
        let event = terminal.read()
        if let s = Signals.received { throw Interrupted(signal: s) }
        if event == .hangup { throw Interrupted(signal: SIGHUP) }
        spinner &+= 1
        // A window too small to show the studio takes only quitting, Ctrl-C and redrawing, wherever the keys would go:
        // typed into a line or answering a question, they would act unseen.
        if windowTooSmall {
            switch event {
            case .key(.ctrl("q")), .key(.ctrl("c")), .key(.ctrl("l")), .tick, .resize: break
            default: return .tick
            }
        }
        return event
    }

    var windowTooSmall: Bool { Layout(height: terminal.height, width: terminal.width, sidePanel: showsSidePanel).isTooSmall }

    /// Rebuilds the planner when the script, the header or the takes changed, and publishes it.
    func refresh() {
        let key = (revision: editor.revision, inputs: inputsRevision, takes: takesRevision &+ queue.jobs.finished)
        if key != plannedFor {
            if key.revision != plannedFor.revision { forgetEditedStates() }
            let inputsChanged = key.inputs != plannedFor.inputs || header != plannedHeader
            let before = published.current
            plannedFor = key
            plannedHeader = header
            planner = DialoguePlanner(project: project, voices: voices, scenes: scenes, takes: takes, fingerprints: fingerprints,
                                      after: planner)
            plans = [:]
            let timeline = planner.presentTimeline
            exportSeconds = Double(Timeline.length(timeline)) / Double(AudioFormat.sampleRate)
            timingProblems = planner.timingProblems(timeline)
            published.current = DocumentSnapshot(planner: planner, lineIDs: editor.lines.map(\.id))
            // An undo can take away the cast member the cast panel had chosen.
            castIndex = max(0, min(castIndex, header.cast.count - 1))
            if inputsChanged {
                // What a line failed on (an uncast speaker, a voice, a scene) may be mended now: `g` tells again if not.
                queue.jobs.forgetFailures()
                replanRun(from: before)
            }
        }
        // The line under the cursor, and the next one once it has its take (the next line's context), have their
        // prompts' starts prefilled while nothing is generated; asked again when the cursor moves or anything
        // a prompt is made of changes.
        let wish = [currentID, key.revision, key.inputs, key.takes]
        if wish != prefillWish && options.prefillAhead {
            prefillWish = wish
            var lines = [currentID]
            if plan(editor.line)?.isCurrent == true,
               let next = (editor.line + 1..<editor.lines.count).first(where: { plan($0) != nil }) {
                lines.append(editor.lines[next].id)
            }
            var version = Hasher()
            version.combine(key.revision)
            version.combine(key.inputs)
            version.combine(key.takes)
            queue.prefillAhead(lines, version: version.finalize())
        }
        startPendingPlayback()
        followPace()
    }

    /// The engine's pace for estimates: its last session's until this one has made a line, and this one's kept
    /// after each line made (`PaceRecord`).
    private func followPace() {
        guard case .ready(let synthesizer) = engine.state else { return }
        let description = synthesizer.engineDescription
        if pacedEngine?.engine != description || pacedEngine?.queue !== queue {
            queue.earlierPace = paceRecord.pace(of: description)
            pacedEngine = (description, queue)
        }
        let pace = queue.pace
        if !pace.isEmpty && pace != recordedPace {
            paceRecord.record(pace, of: description)
            recordedPace = pace
        }
    }

    /// The plan of script line `i` (memoised until the next change).
    func plan(_ i: Int) -> LinePlan? {
        if let p = plans[i] { return p }
        guard let p = planner.plan(line: i) else { return nil }
        plans[i] = p
        return p
    }

    private func autosave() {
        autosavedAt = ProcessInfo.processInfo.systemUptime
        guard lastAutosaved.map({ !editor.holds($0) }) ?? true else { return }
        let current = project
        if isDirty {
            do {
                try ProjectFile.autosave(current, for: url, process: autosaveProcess, base: autosaveBase)
                lastAutosaved = current
            } catch {
                say("autosave failed: \(error)", .error)
                lastAutosaved = current
            }
        } else {
            ProjectFile.discardAutosave(for: url, process: autosaveProcess)
            lastAutosaved = current
        }
    }

    // MARK: Messages

    func say(_ text: String, _ style: Style = .normal, seconds: Double = 6) {
        message = (text, style, Date().addingTimeInterval(seconds))
    }

    /// Forgets the finished, failed or cancelled job state of each line whose text changed: it was about
    /// another text (the takes column then shows the line's takes again).
    func forgetEditedStates() {
        // Kept up to date in place (a key changes one line of thousands); the lines that went away leave it.
        if lineTexts.count > editor.lines.count {
            let present = Set(editor.lines.map(\.id))
            lineTexts = lineTexts.filter { present.contains($0.key) }
        }
        var notes = false
        for line in editor.lines where lineTexts[line.id] != line.text {
            // A note (a scene, a chapter, a file) is an input of the lines after it.
            notes = notes || lineTexts[line.id].map { ScriptLine($0).saysNothing } == true || ScriptLine(line.text).saysNothing
            lineTexts[line.id] = line.text
            if let state = queue.state(.line(line.id)), !state.isActive {
                queue.jobs.forget(.line(line.id))
            }
        }
        if notes { queue.jobs.forgetFailures() }
    }
}

extension NowPlaying.Kind {
    var lineID: Int? {
        switch self {
        case .line(let id), .fromLine(let id): return id
        case .audition: return nil
        }
    }
}
