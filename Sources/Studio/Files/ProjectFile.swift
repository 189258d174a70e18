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
        try read(url).project
    }

    /// Reads and parses a project, with the warnings its writer should be told (a command says them on stderr,
    /// the studio as it opens the file).
    public static func read(_ url: URL) throws -> ProjectFormat.Parsed {
        try ProjectFormat.read(try readText(url), file: url.path)
    }

    static func readText(_ url: URL) throws -> String {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            let exists = FileManager.default.fileExists(atPath: url.path)
            throw StudioError("\(url.path): \(exists ? "cannot read the file" : "no such file")")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw StudioError("\(url.path): not UTF-8 text") }
        return text
    }

    /// Saves atomically and durably, then removes the autosave; returns what the file now holds.
    @discardableResult
    public static func save(_ project: Project, to url: URL) throws -> Data {
        let data = Data(ProjectFormat.print(project).utf8)
        try AtomicFile.write(data, to: url, durable: true)
        discardAutosave(for: url)
        return data
    }

    /// What the file holds now (nil when there is none): the studio compares it with what it read or wrote last,
    /// so that a save does not silently replace what another program wrote meanwhile.
    public static func contents(of url: URL) -> Data? { FileManager.default.contents(atPath: url.path) }

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
        /// When the project file was written after the autosave (saved from another program, or another copy
        /// of the studio): recovering would then set aside that newer file's content.
        public var fileSavedLater: Date?
    }

    /// An autosave worth offering: it exists, parses, and holds another project than the saved file (or the
    /// file is gone).
    public static func recovery(for url: URL) -> Recovery? {
        let side = autosaveURL(for: url)
        guard let text = try? readText(side), let project = try? ProjectFormat.parse(text, file: side.path) else { return nil }
        if let saved = try? load(url), saved == project { return nil }
        func modification(_ url: URL) -> Date? { (try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date }
        let modified = modification(side) ?? Date()
        let saved = modification(url).flatMap { $0 > modified ? $0 : nil }
        return Recovery(project: project, modified: modified, fileSavedLater: saved)
    }
}
