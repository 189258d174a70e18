import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A command's two streams: messages on stderr, its data on stdout. A message that cannot be written (stderr closed,
/// a full disk, its reader gone) is dropped, and the work goes on: `FileHandle.write` would stop the process for it.
/// Data that cannot be written is a failure the command reports (`outputProblem`) and exits on.
public enum Console {
    /// Writes `text` to stderr as it is (add the line break), whole or not at all.
    public static func error(_ text: String) {
        let bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
            if n > 0 {
                done += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }

    /// Why what was printed to stdout did not all reach it (a full disk, a closed stream), or nil: flushed first.
    /// `readerGone`: the pipe's reader closed it (`| head`), which is no error to report.
    public static func outputProblem() -> (said: String, readerGone: Bool)? {
        guard fflush(stdout) != 0 || ferror(stdout) != 0 else { return nil }
        let code = errno
        return ("cannot write the output: \(String(cString: strerror(code)))", code == EPIPE)
    }
}
