import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file a command reads its input from (a script to import, a transcript, a text to tokenize): a file, or a pipe
/// (`/dev/stdin`, `<(...)`, a FIFO), read to its end. What goes wrong is said with the system's reason.
enum InputFile {
    static func read(_ path: String) throws -> Data {
        var info = stat()
        guard stat(path, &info) == 0 else { throw CommandFailure("\(path): \(reason(errno == ENOENT ? "no such file" : nil))") }
        if info.st_mode & S_IFMT == S_IFDIR { throw CommandFailure("\(path): a folder, not a file") }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CommandFailure("\(path): \(reason(nil))") }
        defer { try? handle.close() }
        do {
            return try handle.readToEnd() ?? Data()
        } catch {
            throw CommandFailure("\(path): cannot read it (\((error as NSError).localizedDescription))")
        }
    }

    /// The file's text in UTF-8 (`read`), or why not.
    static func text(_ path: String) throws -> String {
        guard let text = String(data: try read(path), encoding: .utf8) else { throw CommandFailure("\(path): not UTF-8 text") }
        return text
    }

    private static func reason(_ said: String?) -> String {
        said ?? "cannot read it (\(String(cString: strerror(errno))))"
    }
}
