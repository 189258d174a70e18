import ArgumentParser
import Foundation
import Studio

/// `higgs takes`: how much of a project's takes folder its lines use, and (`--prune`) the rest removed.
struct TakesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "takes",
        abstract: "Show what a project's takes folder holds for its lines and for lines that are gone; --prune removes the latter.",
        discussion: """
            The studio keeps every take, so that a line edited back to an earlier text finds its takes again. \
            A take is used while a line of the project (as saved, and as autosaved if there are unsaved \
            changes, in any studio) lists it: all of a line's takes are kept, chosen or not. --prune refuses while a studio \
            has the project open (its undo can bring back lines whose takes it would remove) or a render is making its takes.
            """
    )

    @Argument(help: "The project file (*.higgs).")
    var project: String

    @Flag(help: "Remove the takes and line records no line of the project uses.")
    var prune = false

    func run() throws {
        do {
            let url = URL(fileURLWithPath: project).standardizedFileURL
            var lines = DialoguePlanner.lineIdentities(of: try ProjectFile.loadSayingWarnings(url))
            // Unsaved changes (every studio's, open or gone) may use takes the saved file does not.
            for recovery in ProjectFile.recoveries(for: url, evenOfLiveStudios: true) {
                lines += DialoguePlanner.lineIdentities(of: recovery.project)
            }
            let store = TakeStore(folder: TakeStore.folder(forProject: url))
            // No folder: no line has been made yet (or the folder was moved), said as such rather than as 0 takes.
            guard FileManager.default.fileExists(atPath: store.folder.path) else {
                return print("\(store.folder.path): no takes folder (no line of the project has been made)")
            }
            let inventory = store.inventory(of: lines)
            func mb(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }
            var text = "\(store.folder.path): \(counted(inventory.used.count, "take")) used by the lines (\(mb(inventory.usedBytes)))"
            let gone = inventory.unused.count + inventory.unusedRecords.count
            if gone == 0 {
                text += "; nothing unused"
            } else {
                text += "; \(counted(inventory.unused.count, "take")) (\(mb(inventory.unusedBytes))) and "
                    + "\(counted(inventory.unusedRecords.count, "line record")) of lines that are gone"
                if prune {
                    if let pid = OpenMark.holder(of: url) {
                        throw StudioError("\(url.path) is open in the studio (process \(pid)): close it first, since its undo can "
                                          + "bring back lines whose takes --prune would remove")
                    }
                    if let pid = RenderLock.holder(of: url) {
                        throw StudioError("\(url.path) is being rendered (higgs render, process \(pid)): prune once it has ended, "
                                          + "since the takes it makes are recorded for their lines only as each is done")
                    }
                    try store.removeUnused(inventory)
                    text += ", removed"
                } else {
                    text += " (--prune removes them)"
                }
            }
            // The report is the command's result: on stdout, for a script to read.
            print(text)
        } catch {
            Console.error("higgs: \(error)\n")
            throw ExitCode(1)
        }
    }
}
