import Foundation
import ModelHub
import Prompt
#if canImport(Glibc)
import Glibc
#endif

/// Opening, saving and autosaving a project file.
///
/// Saves are atomic and durable. Every edit is also written, atomically but without fsync, to a sidecar
/// `.NAME.higgs.autosave` beside the file: the process can die at any moment (crash, kill, closed
/// terminal) and the next open offers the autosave back. A save, or discarding the changes, removes it.
///
/// A studio that opens a project another live studio has open writes its own `.NAME.higgs.PID.autosave`
/// instead (`process`), so that neither overwrites nor removes the other's unsaved work.
public enum ProjectFile {
    public static func autosaveURL(for url: URL, process: pid_t? = nil) -> URL {
        let name = process.map { ".\(url.lastPathComponent).\($0).autosave" } ?? ".\(url.lastPathComponent).autosave"
        return url.deletingLastPathComponent().appendingPathComponent(name)
    }

    /// Every autosave of `url` there is: the shared one (process nil) first, then each process's own.
    public static func autosaves(for url: URL) -> [(file: URL, process: pid_t?)] {
        let folder = url.deletingLastPathComponent()
        let shared = autosaveURL(for: url).lastPathComponent
        let prefix = ".\(url.lastPathComponent).", suffix = ".autosave"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted { ($0 == shared ? 0 : 1, $0) < ($1 == shared ? 0 : 1, $1) }.compactMap { name in
            if name == shared { return (folder.appendingPathComponent(name), nil) }
            guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.count > prefix.count + suffix.count,
                  let pid = pid_t(name.dropFirst(prefix.count).dropLast(suffix.count)), pid > 0 else { return nil }
            return (folder.appendingPathComponent(name), pid)
        }
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
        guard let text = String(data: data, encoding: .utf8) else { throw notUTF8(url, data) }
        return text
    }

    /// A file saved in another encoding (a Latin-1 editor's é): the line that does not read, and how to convert it.
    static func notUTF8(_ url: URL, _ data: Data) -> StudioError {
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        let bad = lines.firstIndex { String(data: Data($0), encoding: .utf8) == nil } ?? 0
        let name = url.lastPathComponent, converted = url.deletingPathExtension().lastPathComponent + "-utf8.higgs"
        return StudioError("\(url.path):\(bad + 1): not UTF-8 text; if the file is Latin-1 or Windows-1252, "
                           + "`iconv -f WINDOWS-1252 -t UTF-8 '\(name)' > '\(converted)'` converts it")
    }

    /// Saves atomically and durably, then removes the autosave (the shared one, or `process`'s own); returns what
    /// the file now holds.
    /// `crlf`: lines end in CR LF, as the file had them (`endsLinesWithCRLF`), so that a file kept in version
    /// control by a Windows editor is not all changed by one save.
    @discardableResult
    public static func save(_ project: Project, to url: URL, autosaveOf process: pid_t? = nil, crlf: Bool = false) throws -> Data {
        let text = ProjectFormat.print(project)
        let data = Data((crlf ? text.replacingOccurrences(of: "\n", with: "\r\n") : text).utf8)
        try AtomicFile.write(data, to: url, durable: true)
        discardAutosave(for: url, process: process)
        return data
    }

    /// A folder that goes with the project at `url` (`NAME.takes`, `NAME.export`): beside the file a link leads to,
    /// so that a project opened through a link and by its own name has one of each. Where only the link has one
    /// (made there before), that one stays in use.
    public static func companion(of url: URL, _ pathExtension: String) -> URL {
        let beside = url.deletingPathExtension().appendingPathExtension(pathExtension)
        let real = url.resolvingSymlinksInPath()
        guard real.path != url.path else { return beside }
        let there = real.deletingPathExtension().appendingPathExtension(pathExtension)
        let fm = FileManager.default
        return !fm.fileExists(atPath: there.path) && fm.fileExists(atPath: beside.path) ? beside : there
    }

    /// Whether a project file's lines end in CR LF (a Windows editor's): its first line break says.
    public static func endsLinesWithCRLF(_ contents: Data) -> Bool {
        guard let i = contents.firstIndex(of: 0x0A) else { return false }
        return i > contents.startIndex && contents[contents.index(before: i)] == 0x0D
    }

    /// What the file holds now (nil when there is none): the studio compares it with what it read or wrote last,
    /// so that a save does not silently replace what another program wrote meanwhile.
    public static func contents(of url: URL) -> Data? { FileManager.default.contents(atPath: url.path) }

    /// Writes the autosave of `url` (cheap enough for every edit: one small file, no fsync). `base`: what the project
    /// file held when these changes began (`baseDigest`), kept beside the autosave so that a recovery knows whether
    /// another program has written the file since, whatever the files' times say.
    public static func autosave(_ project: Project, for url: URL, process: pid_t? = nil, base: String? = nil) throws {
        let file = autosaveURL(for: url, process: process)
        try AtomicFile.write(Data(ProjectFormat.print(project).utf8), to: file, durable: false)
        let baseFile = baseURL(of: file)
        if let base {
            if (try? String(contentsOf: baseFile, encoding: .utf8)) != base {
                try? AtomicFile.write(Data(base.utf8), to: baseFile, durable: false)
            }
        } else {
            try? FileManager.default.removeItem(at: baseFile)
        }
    }

    /// The digest of a project file's bytes that an autosave's `base` names.
    public static func baseDigest(_ contents: Data) -> String { SHA256.hex(contents) }

    /// Beside an autosave: the digest of what the project file held when its changes began.
    static func baseURL(of autosave: URL) -> URL { autosave.appendingPathExtension("base") }

    public static func discardAutosave(for url: URL, process: pid_t? = nil) {
        removeAutosave(autosaveURL(for: url, process: process))
    }

    /// Changes to `url` a studio holds unsaved: the autosave they are in, and the studio that has the project open
    /// now (nil: none has; they wait to be offered back when it is opened). Nil when no autosave holds other than
    /// what the file does. A command reading the file reads it as last saved, and says so.
    public static func unsavedChanges(of url: URL) -> (autosave: URL, openIn: pid_t?)? {
        let saved = contents(of: url)
        for (file, process) in autosaves(for: url) {
            guard let held = contents(of: file), held != saved else { continue }
            let studio = process.map { OpenMark.isAlive($0) ? $0 : nil } ?? OpenMark.holder(of: url)
            return (file, studio)
        }
        return nil
    }

    /// Removes an autosave file and what is kept beside it.
    public static func removeAutosave(_ file: URL) {
        try? FileManager.default.removeItem(at: file)
        try? FileManager.default.removeItem(at: baseURL(of: file))
    }

    /// A project found in an autosave, and when it was written.
    public struct Recovery: Sendable {
        /// The autosave it was read from.
        public var file: URL
        public var project: Project
        public var modified: Date
        /// When the project file was last written, where that was after its changes began (saved from another program,
        /// or another copy of the studio): by the files' times, or because the file no longer holds what the changes
        /// began from. Recovering would then set aside that file's content.
        public var fileSavedLater: Date?
        /// What the project file held when the changes began (`ProjectFile.baseDigest`), when known.
        public var base: String?
    }

    /// The newest autosave worth offering (see `recoveries`).
    public static func recovery(for url: URL) -> Recovery? { recoveries(for: url).first }

    /// The autosaves worth offering, newest first: each exists, parses, and holds another project than the saved
    /// file (or the file is gone). Those a live studio other than this process may still be writing are left out
    /// unless `evenOfLiveStudios` (`higgs takes` counts their lines): a process's own whose process lives, and
    /// the shared one while another studio has the project open (it may be that studio's).
    public static func recoveries(for url: URL, evenOfLiveStudios: Bool = false) -> [Recovery] {
        let saved = try? load(url)
        func modification(_ url: URL) -> Date? { (try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date }
        let openElsewhere = !evenOfLiveStudios && OpenMark.holder(of: url) != nil
        let found: [Recovery] = autosaves(for: url).compactMap { side in
            if !evenOfLiveStudios {
                if let pid = side.process, pid != getpid(), OpenMark.isAlive(pid) { return nil }
                if side.process == nil && openElsewhere { return nil }
            }
            guard let text = try? readText(side.file), let project = try? ProjectFormat.parse(text, file: side.file.path),
                  project != saved else { return nil }
            let modified = modification(side.file) ?? Date()
            let base = try? String(contentsOf: baseURL(of: side.file), encoding: .utf8)
            let changed = base.map { base in contents(of: url).map { baseDigest($0) != base } ?? false } ?? false
            let savedLater = modification(url).flatMap { $0 > modified || changed ? $0 : nil }
            return Recovery(file: side.file, project: project, modified: modified, fileSavedLater: savedLater, base: base)
        }
        return found.sorted { $0.modified > $1.modified }
    }
}
