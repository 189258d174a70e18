import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `.NAME.higgs.open` beside a project while a studio has it open, holding that studio's process id. The
/// studio's undo can bring back lines whose takes `higgs takes --prune` would remove, so pruning asks it first.
/// A studio that died leaves its mark behind; a mark whose process is gone counts for nothing.
public enum OpenMark {
    public static func url(for project: URL) -> URL {
        project.deletingLastPathComponent().appendingPathComponent(".\(project.lastPathComponent).open")
    }

    /// Marks `project` open in this process (nothing is said when its folder cannot take the mark: it only guards).
    public static func mark(_ project: URL) {
        try? AtomicFile.write(Data("\(getpid())\n".utf8), to: url(for: project), durable: false)
    }

    /// Takes this process's mark away (another process's is left).
    public static func clear(_ project: URL) {
        guard holder(of: project, includingThisProcess: true) == getpid() else { return }
        try? FileManager.default.removeItem(at: url(for: project))
    }

    /// The live process, other than this one, that has `project` open; nil when none has.
    public static func holder(of project: URL, includingThisProcess: Bool = false) -> pid_t? {
        guard let text = try? String(contentsOf: url(for: project), encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else { return nil }
        if pid == getpid() { return includingThisProcess ? pid : nil }
        // Signal 0 only asks whether the process is there (EPERM: it is, another user's).
        return kill(pid, 0) == 0 || errno == EPERM ? pid : nil
    }
}
