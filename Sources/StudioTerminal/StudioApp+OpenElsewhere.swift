import Foundation
import Studio

/// A project open in two studios at once (two terminals): the second asks first, each keeps its own autosave,
/// and each takes only its own open mark and autosave away.
extension StudioApp {
    /// Asks before opening `project` when another live studio has it open; true when it is opened here.
    /// - Parameter otherwise: what "no" does (quit, stay in the project open).
    func openHereToo(_ project: URL, otherwise: String) throws -> Bool {
        guard let pid = OpenMark.holder(of: project) else { return true }
        let name = project.lastPathComponent
        return try ask("\(name) is open in another studio (process \(pid)). Open it here too? Each keeps its own unsaved "
                       + "changes, and saving in one replaces what the other saved. (y)es / (n)o, \(otherwise)", choices: ["y", "n"]) == "y"
    }

    /// `project` is the one open here now: marked open (once it is a file, or named to be one: `higgs takes
    /// --prune` asks before removing takes this studio's undo may bring back), with an autosave of its own when
    /// another studio has it open too.
    func claim(_ project: URL) {
        autosaveProcess = OpenMark.holder(of: project) == nil ? nil : getpid()
        if chosenName || FileManager.default.fileExists(atPath: project.path) { OpenMark.mark(project) }
    }

    /// Offers the autosaves no live studio is writing, newest first, until one is recovered; those discarded
    /// are removed, those not offered after a recovery are kept for the next open.
    func offerRecovery() throws {
        let recoveries = ProjectFile.recoveries(for: url)
        for (i, recovery) in recoveries.enumerated() {
            let later = recovery.fileSavedLater.map {
                " \(displayName) was saved after them (\(LocalTime.shown($0))): recovering sets that aside, and Ctrl-S asks before replacing it."
            } ?? ""
            let which = recoveries.count > 1 ? " (\(i + 1) of \(recoveries.count), newest first)" : ""
            let answer = try ask("Unsaved changes to \(displayName) from \(LocalTime.shown(recovery.modified)) were found\(which).\(later) "
                                 + "Recover them (\(Self.changes(from: project, to: recovery.project)))? (y)es, u then takes them back "
                                 + "/ (n)o, discard them", choices: ["y", "n"])
            guard answer == "y" else {
                ProjectFile.removeAutosave(recovery.file)
                say("Discarded the autosave.")
                continue
            }
            // One edit over the project as the file holds it: `u` takes the recovery back.
            editor.replaceAll(recovery.project.script, header: recovery.project)
            // The file holds what another program saved after these changes: a save asks before replacing it, as it
            // asks for a change made while the project is open. Their base goes on with them (one that no file
            // matches where it is not known), so that a recovery of them again still knows.
            if recovery.fileSavedLater != nil {
                diskContents = nil
                autosaveBase = recovery.base ?? ""
            }
            adopt(recovery)
            let left = recoveries.count - i - 1
            let kept = left == 0 ? "" : " \(left == 1 ? "An older autosave is" : "\(left) older autosaves are") kept for the next open."
            say("Recovered the autosave; Ctrl-S saves it.\(kept)", .good, seconds: left == 0 ? 6 : 12)
            return
        }
    }

    /// What a recovery changes, in a few words: "3 lines changed, 1 added", "the cast or settings", "no change".
    static func changes(from saved: Project, to recovered: Project) -> String {
        let difference = recovered.script.difference(from: saved.script)
        let added = difference.insertions.count, removed = difference.removals.count
        let changed = min(added, removed)
        var parts: [String] = []
        if changed > 0 { parts.append("\(counted(changed, "line")) changed") }
        if added > changed { parts.append("\(counted(added - changed, "line")) added") }
        if removed > changed { parts.append("\(counted(removed - changed, "line")) removed") }
        var header = recovered, savedHeader = saved
        header.script = []
        savedHeader.script = []
        if header != savedHeader { parts.append("the cast, scene or settings") }
        return parts.isEmpty ? "no change to the script" : parts.joined(separator: ", ")
    }

    /// The recovered changes go on in this studio's own autosave; the one they came from (a studio that is gone)
    /// is removed once they are written there.
    private func adopt(_ recovery: ProjectFile.Recovery) {
        let own = ProjectFile.autosaveURL(for: url, process: autosaveProcess)
        lastAutosaved = recovery.project
        guard recovery.file.standardizedFileURL != own.standardizedFileURL else { return }
        do {
            try ProjectFile.autosave(recovery.project, for: url, process: autosaveProcess, base: autosaveBase)
            ProjectFile.removeAutosave(recovery.file)
        } catch {
            lastAutosaved = nil  // written at the next turn, or the failure said then; the old one stays meanwhile
        }
    }
}
