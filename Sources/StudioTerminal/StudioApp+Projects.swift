import Foundation
import Playback
import Studio

/// Opening projects: the one named at start, and another in its place (Ctrl-O) with the engine kept.
extension StudioApp {
    /// The project at `url`: read when it exists, else new (the sample script for the default name, else
    /// empty), with what the file holds that this version keeps without using. A file that is not a project, or a
    /// new name without `.higgs`, is an error naming it.
    static func openProject(at url: URL, named: Bool) throws -> (project: Project, onDisk: Bool, warnings: [ProjectWarning]) {
        if FileManager.default.fileExists(atPath: url.path) {
            guard url.pathExtension == "higgs" else {
                let suggested = url.deletingPathExtension().appendingPathExtension("higgs").lastPathComponent
                throw StudioError("\(url.path): not a project (*.higgs); `higgs import \(url.lastPathComponent)` makes \(suggested) of a script")
            }
            let parsed = try ProjectFile.read(url)
            return (parsed.project, true, parsed.warnings)
        }
        guard url.pathExtension == "higgs" || !named else {
            throw StudioError("\(url.path): no such file (a new project needs a name ending in .higgs)")
        }
        return (named ? Project(script: []) : SampleProject.project, false, [])
    }

    /// What to say of a file's warnings as it opens, or nil when it has none. The file is named by its name alone:
    /// it is the project open, and its folder would push what is wrong off the message row.
    static func told(_ warnings: [ProjectWarning]) -> String? {
        guard !warnings.isEmpty else { return nil }
        return warnings.map { "\(URL(fileURLWithPath: $0.file).lastPathComponent):\($0.line): \($0.what)" }.joined(separator: "; ")
    }

    /// The scene list's row for the header's scene.
    var sceneRowOfHeader: Int {
        if case .named(let name) = header.scene, let i = scenes.scenes.firstIndex(where: { $0.name == name }) { return i + 1 }
        if case .inline = header.scene { return scenes.scenes.count + 1 }
        return 0
    }

    /// Ctrl-O: another project, existing or new (empty, or with this one's cast, scene, settings and
    /// pronunciations), in place of this one, whose unsaved changes are asked about first. The engine stays
    /// loaded; playback and this project's queued lines stop.
    func openAnother() throws {
        guard let raw = try prompt("Open a project (an existing one, or a new name):", initial: "", paths: true) else { return }
        var path = raw.trimmingCharacters(in: .whitespaces)
        guard !path.isEmpty else { return }
        let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        if !path.hasSuffix(".higgs") && !FileManager.default.fileExists(atPath: URL(fileURLWithPath: path, relativeTo: here).path) {
            path += ".higgs"
        }
        let target = URL(fileURLWithPath: NSString(string: path).expandingTildeInPath, relativeTo: here).standardizedFileURL
        guard target != url else { return say("\(displayName) is the project open.", .dim) }
        guard try openHereToo(target, otherwise: "stay in \(displayName)") else { return }
        var opened: (project: Project, onDisk: Bool, warnings: [ProjectWarning])
        do {
            opened = try StudioApp.openProject(at: target, named: true)
        } catch {
            return say("\(error)", .error, seconds: 10)
        }
        // A new project often goes on from this one (the next episode): the same header but for the script.
        if !opened.onDisk, !header.cast.isEmpty,
           try ask("Start \(target.lastPathComponent) with \(displayName)'s cast, scene, settings and pronunciations? (y)es / (n)o, empty", choices: ["y", "n"]) == "y" {
            opened.project = Project(scene: header.scene, cast: header.cast, settings: header.settings,
                                     unknownSettings: header.unknownSettings, pronunciations: header.pronunciations, script: [])
        }
        guard try settleChanges(before: "opening \(target.lastPathComponent)") else { return }
        let stopped = generationStopping.map { "; in \(displayName), \($0) stopped (the takes made are kept)" } ?? ""
        player.stop()
        nowPlaying = nil
        pendingPlay = nil
        listenThrough?.cancel()
        listenThrough = nil
        use(target)
        editor = ScriptEditor(lines: opened.project.script, header: opened.project, replacing: editor)
        baseline = opened.project
        onDisk = opened.onDisk
        diskContents = opened.onDisk ? ProjectFile.contents(of: target) : nil
        chosenName = true
        lastAutosaved = nil
        lineTexts = [:]
        focus = .script
        editing = false
        top = 0
        hScroll = 0
        castIndex = 0
        sceneIndex = sceneRowOfHeader
        highlightsFound = false
        say(opened.onDisk ? "Opened \(target.path)\(stopped)." : "A new project, \(target.lastPathComponent): Ctrl-S saves it\(stopped).", .good)
        try offerRecovery()
        let joined = castScriptNewcomers()
        // As at start: what the file keeps unread is told before the newcomers, who show in the cast anyway.
        if let warning = StudioApp.told(opened.warnings) {
            say(warning, .warning, seconds: 15)
        } else if let joined {
            say(joined, .good, seconds: 10)
        }
    }

    /// A script written elsewhere names speakers its cast lacks: they are cast as a name typed in a line is (one
    /// undo step). What to say of it, or nil.
    func castScriptNewcomers() -> String? {
        let newcomers = project.uncastNewcomers
        guard !newcomers.isEmpty else { return nil }
        editor.editHeader { $0.cast += newcomers.map { CastMember(name: $0, voice: .automatic) } }
        return "\(newcomers.joined(separator: ", ")) joined the cast with automatic voices: the script names them and the cast "
            + "did not (Tab, then Enter, chooses a voice)."
    }
}

/// A file's size and modification time: what tells cheaply, once a second, that another program wrote it.
struct DiskStamp: Equatable {
    var size: Int
    var modified: Date

    init?(_ url: URL) {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
              let size = attributes[.size] as? Int, let modified = attributes[.modificationDate] as? Date else { return nil }
        (self.size, self.modified) = (size, modified)
    }
}

extension StudioApp {
    /// Takes deleted by another program (the takes folder removed, a take's files): the lines that had them show
    /// they have none, and the screen says so. Looked at with the project file, once a second (the folder's
    /// modification time; each take only once it changed).
    func followTakes() {
        guard let gone = takes.vanishedTakes() else { return }
        takesRevision += 1
        refresh()  // planned again before this turn's draw: the message and the lines' marks agree
        let name = takes.folder.lastPathComponent
        let lines = counted(gone.lines, "line")
        say(gone.folderGone
            ? "\(name)/ is missing: \(lines) lost \(gone.lines == 1 ? "its take" : "their takes"); g or A makes them again, and e keeps the export there is."
            : "\(lines) lost \(gone.lines == 1 ? "its take" : "their takes") from \(name)/ (deleted by another program); g or A makes them again.",
            .warning, seconds: 15)
    }

    /// Another program (an editor, a sync client) wrote the project file: with no unsaved changes here the studio
    /// reads it again, as editors do; with some, it says so once (Ctrl-S then asks before replacing it).
    func followDisk() {
        let now = Date()
        // Not while a line is edited, nor while lines are made or followed as they play: their jobs name lines
        // of the text as it is (a file read again numbers its lines anew). Looked at again once they are done.
        let busy = !queue.jobs.running.isEmpty || !queue.jobs.queued.isEmpty || listenThrough != nil
        guard now.timeIntervalSince(diskCheckedAt) >= 1 else { return }
        diskCheckedAt = now
        followTakes()
        guard !editing, !(busy && !isDirty) else { return }
        let stamp = DiskStamp(url)
        guard stamp != diskStamp else { return }
        let had = diskStamp != nil
        diskStamp = stamp
        if stamp == nil && had && onDisk {
            // Said once: the text here is all there is of it now.
            return say("\(displayName) was deleted or moved by another program; the text here is as it was, and Ctrl-S writes it "
                       + "there again.", .warning, seconds: 15)
        }
        guard stamp != nil, let contents = ProjectFile.contents(of: url), contents != diskContents else { return }
        guard !isDirty else {
            return say("\(displayName) was changed by another program; Ctrl-S asks before replacing it, Alt-S saves yours elsewhere.",
                       .warning, seconds: 15)
        }
        do {
            let parsed = try ProjectFile.read(url)
            let project = parsed.project
            let line = editor.line
            // One undo step: `u` brings back the text as it was before the file was read again.
            editor.replaceAll(project.script, header: project)
            editor.moveTo(line: min(line, editor.lines.count - 1))
            baseline = project
            lastAutosaved = project
            diskContents = contents
            onDisk = true
            if let warning = StudioApp.told(parsed.warnings) {
                say("Read again: \(warning)", .warning, seconds: 15)
            } else {
                say("Read \(displayName) again: another program changed it.", .good)
            }
        } catch {
            say("\(displayName) was changed by another program and does not read now: \(error)", .error, seconds: 15)
        }
    }
}
