import Foundation
import ModelHub

/// What an export is made of, as a digest: the project as written (script, cast, settings), each line's chosen take,
/// the beds' files (size and time) and the export's own version. Kept in `.export-key` in the export's folder with the
/// files it wrote, so that a render with nothing new leaves an export as it is, its files' times too (make, rsync and
/// backups see no change).
enum ExportKey {
    static let fileName = ".export-key"
    /// Raised when what an export writes changes, so that an export by an earlier version is written again.
    static let version = 1

    static func of(_ planner: DialoguePlanner, name: String, folder: URL) -> String {
        let project = planner.project
        var parts = ["export \(version)", name, ProjectFormat.print(project)]
        for i in project.script.indices where !planner.saysNothing(line: i) {
            parts.append("\(i) \(planner.exportedTake(line: i)?.key ?? "-")")
        }
        let beside = folder.deletingLastPathComponent()
        for text in project.script {
            guard let bed = ScriptLine(text).bed?.file(besideProjectIn: beside) else { continue }
            let attributes = try? FileManager.default.attributesOfItem(atPath: bed.path)
            let size = attributes?[.size] as? Int ?? -1
            let time = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            parts.append("bed \(bed.path) \(size) \(time)")
        }
        return SHA256.hex(Data(parts.joined(separator: "\n").utf8))
    }

    /// Writes the key and the files the export wrote; a folder that does not take it only costs the next export.
    static func record(_ key: String, files: [String], in folder: URL) {
        try? AtomicFile.write(Data(([key] + files).joined(separator: "\n").utf8), to: folder.appendingPathComponent(fileName), durable: false)
    }

    /// The export in `folder` was written with `key`, and every file it wrote is there.
    static func matches(_ key: String, in folder: URL) -> Bool {
        guard let text = try? String(contentsOf: folder.appendingPathComponent(fileName), encoding: .utf8) else { return false }
        let lines = text.split(separator: "\n").map(String.init)
        guard lines.first == key, lines.count > 1 else { return false }
        return lines.dropFirst().allSatisfy { FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }
    }
}

extension DialogueExport {
    /// The export in `folder` is what exporting `planner` now would write (nothing changed since: `ExportKey`).
    public static func isUnchanged(_ planner: DialoguePlanner, name: String, to folder: URL) -> Bool {
        ExportKey.matches(ExportKey.of(planner, name: name, folder: folder), in: folder)
    }
}
