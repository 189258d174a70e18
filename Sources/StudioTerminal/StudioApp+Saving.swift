import Foundation
import Studio

/// Saving (Ctrl-S, save as), the question before leaving unsaved changes, the project that is open now, and quitting.
extension StudioApp {
    /// Ctrl-S, or Alt-S / `S` with `askingForName` (save as). Only the sample's default name asks otherwise; a file
    /// named on the command line is saved where it was named.
    func save(askingForName: Bool = false) throws {
        var target = url
        if askingForName || (!onDisk && !chosenName) {
            let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            let shown = url.deletingLastPathComponent().path == here.path ? url.lastPathComponent : url.path
            guard let name = try prompt("Save as:", initial: shown, paths: true, selected: true) else { return }
            var path = name.trimmingCharacters(in: .whitespaces)
            guard !path.isEmpty else { return }
            if !path.hasSuffix(".higgs") { path += ".higgs" }
            target = URL(fileURLWithPath: path, relativeTo: here).standardizedFileURL
            if target != url, FileManager.default.fileExists(atPath: target.path) {
                guard try ask("\(target.lastPathComponent) exists. Replace it? (y)es / (n)o", choices: ["y", "n"]) == "y" else { return }
            }
        }
        // Another program (an editor, a sync client, a second studio) wrote the file since it was read here.
        if target == url, let now = ProjectFile.contents(of: target), now != diskContents {
            let answer = try ask("\(target.lastPathComponent) was changed by another program \(onDisk ? "since it was last opened or saved here" : "since this project began here"). "
                                 + "Replace that with this version? (y)es / (n)o, keep it (Alt-S saves this one under another name)",
                                 choices: ["y", "n"])
            guard answer == "y" else { return say("Not saved: \(target.path) keeps what the other program wrote.", .warning, seconds: 10) }
        }
        let written: Data
        do {
            // Saved elsewhere, the autosave of the file replaced is left alone: it may be another studio's.
            // Lines end as the file's did (CR LF from a Windows editor), so that one save does not change them all.
            written = try ProjectFile.save(project, to: target, autosaveOf: target == url ? autosaveProcess : getpid(),
                                           crlf: diskContents.map(ProjectFile.endsLinesWithCRLF) ?? false)
        } catch {
            say("not saved: \(error)" + (target == url ? "; Alt-S saves it under another name" : ""), .error, seconds: 10)
            return
        }
        if target != url {
            // The sample's first save takes its takes along; a copy saved elsewhere shares them, the original keeping its own.
            if onDisk { linkTakes(to: target) } else { moveTakes(to: target) }
        }
        baseline = project
        onDisk = true
        chosenName = true
        diskContents = written
        lastAutosaved = project
        // A project begun here is marked open once it is a file (`higgs takes --prune` asks the studio).
        OpenMark.mark(url)
        say("Saved \(target.path).", .good)
    }

    /// Asks what becomes of unsaved changes before the project is left; false when the writer cancels (or
    /// the save did not happen).
    func settleChanges(before leaving: String) throws -> Bool {
        guard isDirty else { return true }
        // Worded at each redraw: the lines that would stop go as they are made.
        var stops: String { generationStopping.map { " (\($0) stop; the takes made are kept)" } ?? "" }
        switch try ask("Save changes to \(displayName) before \(leaving)?\(stops) (y)es / (n)o / (c)ancel", choices: ["y", "n", "c"]) {
        case "y":
            try save()
            return !isDirty
        case "n":
            ProjectFile.discardAutosave(for: url, process: autosaveProcess)
            lastAutosaved = project
            return true
        default:
            return false
        }
    }

    /// A new project saved under another name brings its takes along.
    /// The project saved as `target` is the one now, with the takes made so far (shared with the original).
    private func linkTakes(to target: URL) {
        TakeStore.share(fromProject: url, toProject: target)
        ProjectFile.discardAutosave(for: url, process: autosaveProcess)  // the changes it held are in the new file
        use(target)
    }

    private func moveTakes(to target: URL) {
        let old = TakeStore.folder(forProject: url)
        let new = TakeStore.folder(forProject: target)
        ProjectFile.discardAutosave(for: url, process: autosaveProcess)
        if FileManager.default.fileExists(atPath: old.path) && !FileManager.default.fileExists(atPath: new.path) {
            try? FileManager.default.moveItem(at: old, to: new)
        }
        use(target)
    }

    /// The generation queue of a project's takes. A take cut at its limit is made again at once (a new seed)
    /// when nobody was listening to it; one heard running on is left to the writer (`r`).
    static func queue(takes: TakeStore, engine: EngineHandle, published: PublishedDocument) -> GenerationQueue {
        let queue = GenerationQueue(takes: takes, engine: engine, document: { published.current })
        queue.retriesOfCutTakes = 1
        return queue
    }

    /// The project at `target` is the one now: its takes folder, a queue of its own (the engine stays).
    func use(_ target: URL) {
        queue.stop()
        OpenMark.clear(url)
        url = target
        claim(target)
        takes = TakeStore(folder: TakeStore.folder(forProject: target))
        queue = StudioApp.queue(takes: takes, engine: engine, published: published)
        askedRun = nil
        takesRevision += 1
        inputsRevision += 1
    }

    /// What leaving the project stops of its generation ("line 5, being made, and 2 queued lines"); nil when
    /// nothing is being made.
    var generationStopping: String? {
        let lines = { (jobs: [GenerationJob]) in jobs.compactMap { job -> Int? in if case .line(let id) = job { return self.editor.index(of: id) } else { return nil } } }
        let running = lines(queue.jobs.running), queued = lines(queue.jobs.queued)
        guard !running.isEmpty || !queued.isEmpty else { return nil }
        var parts: [String] = []
        if !running.isEmpty { parts.append((running.count == 1 ? "line " : "lines ") + lineNumbers(running) + ", being made,") }
        if !queued.isEmpty { parts.append(counted(queued.count, "queued line")) }
        return parts.joined(separator: " and ") + (exportWaits ? ", and the export waiting for them," : "")
    }

    func quit() throws {
        // A window too small to show a question asks nothing: unsaved changes stay in the autosave (offered on the next
        // open), and an export being written is stopped (the export before stays as it was).
        if windowTooSmall {
            if isDirty { throw QuitUnasked() }
            exportJob?.stop()
            queue.cancelAll()
            player.stop()
            quitting = true
            return
        }
        guard try settleChanges(before: "quitting") else { return }
        // An export is written beside its folder and moved in once whole (`DialogueExport`): stopped, it leaves the
        // export before as it was. Waited for, it says how far it is, and Ctrl-C or q still stop it.
        if let job = exportJob, job.isRunning {
            let answer = try ask("The export to \(job.folder.lastPathComponent)/ is still being written. (w)ait for it / (s)top it "
                                 + "(the export before stays as it was) / (c)ancel quitting", choices: ["w", "s", "c"])
            if answer == "c" { return }
            while answer == "w" && job.isRunning {
                if case .running(let what) = job.state {
                    say("Finishing the export (\(what))… Ctrl-C or q stops it, leaving the export before as it was.", .dim)
                }
                draw()
                if case .key(let key) = try nextEvent(), key == .ctrl("c") || key == .char("q") { break }
            }
        }
        // Stopped, not left to die with the process: what it had written goes with it.
        exportJob?.stop()
        queue.cancelAll()
        player.stop()
        quitting = true
    }
}
