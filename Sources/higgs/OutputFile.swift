import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file a command writes its result to (`--out-path`, `--codes-out`): checked before the work that makes it,
/// written whole or not at all. A link is written through (the file it points to is replaced, the link stays); a
/// pipe or a device such as /dev/stdout is refused, as a rename would put a file in its place.
enum OutputFile {
    /// Why `path` cannot take the file (given as `flag`): its folder missing or not writable, a folder, a pipe or
    /// a device in its place.
    static func check(_ path: String, flag: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.resolvingSymlinksInPath().deletingLastPathComponent()
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue {
            throw CommandFailure("\(flag) \(path): a folder, not a file")
        }
        if isPipeOrDevice(path) { throw CommandFailure("\(flag) \(path): a pipe or a device, not a file; give a file's path") }
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder) else {
            throw CommandFailure("\(flag) \(path): no folder \(folder.path)")
        }
        guard isFolder.boolValue else { throw CommandFailure("\(flag) \(path): \(folder.path) is a file, not a folder") }
        guard FileManager.default.isWritableFile(atPath: folder.path) else {
            throw CommandFailure("\(flag) \(path): cannot write in \(folder.path)")
        }
    }

    /// Writes `data` to `path` atomically, through a link; `what` follows the path in an error.
    static func write(_ data: Data, to path: String, _ what: String = "") throws {
        if isPipeOrDevice(path) { throw CommandFailure("\(path)\(what): a pipe or a device, not a file; give a file's path") }
        do { try data.write(to: URL(fileURLWithPath: path).resolvingSymlinksInPath(), options: .atomic) } catch {
            // The system's words (`No such file or directory`), not Foundation's "The operation could not be completed".
            let underlying = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? Error).map { $0 as NSError }
            let reason = underlying.map { $0.domain == NSPOSIXErrorDomain ? String(cString: strerror(Int32($0.code))) : $0.localizedDescription }
            throw CommandFailure("\(path)\(what): cannot write (\(reason ?? error.localizedDescription))")
        }
    }

    /// Something other than a file or a folder is at `path` (its links followed).
    private static func isPipeOrDevice(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return info.st_mode & S_IFMT != S_IFREG && info.st_mode & S_IFMT != S_IFDIR
    }
}
