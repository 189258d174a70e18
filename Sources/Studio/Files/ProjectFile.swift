import Foundation
import Prompt

/// Opening, saving and autosaving a project file.
///
/// Saves are atomic and durable. Every edit is also written, atomically but without fsync, to a sidecar
/// `.NAME.higgs.autosave` beside the file: the process can die at any moment (crash, kill, closed
/// terminal) and the next open offers the autosave back. A save, or discarding the changes, removes it.
public enum ProjectFile {
    public static func autosaveURL(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).autosave")
    }

    /// Reads and parses a project; errors are `ProjectError` (`file:line: problem`) or a read error naming the file.
    public static func load(_ url: URL) throws -> Project {
        try ProjectFormat.parse(try readText(url), file: url.path)
    }

    static func readText(_ url: URL) throws -> String {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            let exists = FileManager.default.fileExists(atPath: url.path)
            throw StudioError("\(url.path): \(exists ? "cannot read the file" : "no such file")")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw StudioError("\(url.path): not UTF-8 text") }
        return text
    }

    /// Saves atomically and durably, then removes the autosave.
    public static func save(_ project: Project, to url: URL) throws {
        try AtomicFile.write(Data(ProjectFormat.print(project).utf8), to: url, durable: true)
        discardAutosave(for: url)
    }

    /// Writes the autosave of `url` (cheap enough for every edit: one small file, no fsync).
    public static func autosave(_ project: Project, for url: URL) throws {
        try AtomicFile.write(Data(ProjectFormat.print(project).utf8), to: autosaveURL(for: url), durable: false)
    }

    public static func discardAutosave(for url: URL) {
        try? FileManager.default.removeItem(at: autosaveURL(for: url))
    }

    /// A project found in an autosave, and when it was written.
    public struct Recovery: Sendable {
        public var project: Project
        public var modified: Date
    }

    /// An autosave worth offering: it exists, parses, and holds another project than the saved file (or the
    /// file is gone).
    public static func recovery(for url: URL) -> Recovery? {
        let side = autosaveURL(for: url)
        guard let text = try? readText(side), let project = try? ProjectFormat.parse(text, file: side.path) else { return nil }
        if let saved = try? load(url), saved == project { return nil }
        let modified = (try? FileManager.default.attributesOfItem(atPath: side.path)[.modificationDate] as? Date) ?? Date()
        return Recovery(project: project, modified: modified)
    }
}
