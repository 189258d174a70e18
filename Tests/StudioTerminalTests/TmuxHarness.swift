import Foundation

/// A detached tmux server of its own, with one pane running an interactive bash: the studio runs in it
/// exactly as a user runs it, keys go in with `send-keys`, the screen comes back with `capture-pane`.
/// Every wait polls with a generous deadline (CI machines are slow), never a fixed sleep.
final class TmuxSession {
    struct Timeout: Error, CustomStringConvertible {
        let what: String
        let screen: String
        var description: String { "timed out waiting for \(what); the screen was:\n\(screen)" }
    }

    static var available: Bool { which("tmux") != nil }

    static func which(_ tool: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// The `higgs` binary `swift test` built beside this test bundle.
    static var higgs: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("higgs")
    }

    let socket = "higgs-e2e-\(UUID().uuidString.prefix(8))"
    let prompt = "E2E$ "
    let folder: URL

    init(width: Int = 80, height: Int = 24, folder: URL) throws {
        self.folder = folder
        try tmux(["-f", "/dev/null", "new-session", "-d", "-s", "main", "-x", "\(width)", "-y", "\(height)",
                  "env", "-i", "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=\(folder.path)", "TERM=screen",
                  "LANG=C.UTF-8", "PS1=\(prompt)", "bash", "--norc", "--noprofile", "-i"])
        do {
            try tmux(["set-option", "-g", "status", "off"])
            try waitFor("the shell prompt") { $0.contains(self.bareprompt) }
        } catch {
            _ = try? tmux(["kill-server"])
            throw error
        }
    }

    /// The prompt as capture-pane shows it (trailing spaces dropped).
    var bareprompt: String { prompt.trimmingCharacters(in: .whitespaces) }

    deinit {
        _ = try? tmux(["kill-server"])
    }

    @discardableResult
    func tmux(_ arguments: [String]) throws -> String {
        // posix_spawn and waitpid rather than Foundation's Process: the tmux server forks from the first
        // command and inherits Process's termination pipe, so Process would never see the client exit.
        // Output goes to a file for the same reason (a pipe would never reach end of file).
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("\(socket)-\(UUID().uuidString.prefix(8)).out")
        defer { try? FileManager.default.removeItem(at: output) }
        let argv = [TmuxSession.which("tmux") ?? "/usr/bin/tmux", "-u", "-L", socket] + arguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The test runs on a thread that blocks signals; tmux, the shell and the studio must not inherit
        // that mask (SIGWINCH and SIGTERM would never arrive), nor any ignored signal.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, &cArgs, environ)
        guard spawned == 0 else { throw Timeout(what: "tmux to start (error \(spawned))", screen: "") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (try? String(contentsOf: output, encoding: .utf8)) ?? ""
    }

    /// Types a command line into the shell and presses Enter.
    func run(_ command: String) throws {
        try tmux(["send-keys", "-t", "main", "-l", command])
        try tmux(["send-keys", "-t", "main", "Enter"])
    }

    /// Sends key names (`Enter`, `Escape`, `C-s`, `F1`, `j`, ...).
    func keys(_ names: String...) throws {
        try tmux(["send-keys", "-t", "main"] + names)
    }

    /// Types text literally.
    func type(_ text: String) throws {
        try tmux(["send-keys", "-t", "main", "-l", text])
    }

    /// Pastes text as a terminal does, marked as a paste when the program asked for bracketed paste.
    func paste(_ text: String) throws {
        try tmux(["set-buffer", "--", text])
        try tmux(["paste-buffer", "-p", "-t", "main"])
    }

    /// The pane's text; `joined` joins lines the terminal wrapped (long shell output).
    func screen(joined: Bool = false) throws -> String {
        try tmux(["capture-pane", "-t", "main", "-p"] + (joined ? ["-J"] : []))
    }

    func resize(width: Int, height: Int) throws {
        try tmux(["resize-window", "-t", "main", "-x", "\(width)", "-y", "\(height)"])
    }

    /// Kills the tmux server outright, as when a terminal window is closed: the pane's terminal vanishes.
    func killServerHard() throws {
        let text = try tmux(["display-message", "-p", "#{pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let pid = Int32(text) else { throw Timeout(what: "the tmux server's pid", screen: text) }
        kill(pid, SIGKILL)
    }

    /// The process running in the pane's shell (the studio), if any: the shell's child, found in /proc.
    func foregroundPID() throws -> Int32? {
        let text = try tmux(["display-message", "-p", "-t", "main", "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let shell = Int32(text) else { return nil }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // Fields after the command name: state, ppid, ...
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, Int32(fields[1]) == shell { return pid }
        }
        return nil
    }

    /// Polls the screen until `condition` holds; returns that screen.
    @discardableResult
    func waitFor(_ what: String, timeout: TimeInterval = 30, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if condition(last) { return last }
            usleep(50_000)
        }
        throw Timeout(what: what, screen: last)
    }

    /// Polls until `condition` holds (files appearing, a process ending).
    func waitUntil(_ what: String, timeout: TimeInterval = 30, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return }
            usleep(50_000)
        }
        throw Timeout(what: what, screen: (try? screen()) ?? "")
    }

    /// Waits until the studio has exited and the shell prompt is back.
    func waitForShell(_ what: String = "the shell prompt") throws {
        try waitUntil(what) { (try? atPrompt()) == true }
    }

    /// Starts the studio in the pane with `arguments` (shell-quoted here), and `environment` added to the
    /// shell's, and waits for its first screen.
    func launchStudio(_ arguments: [String], environment: [String: String] = [:], waitFor marker: String = "Higgs Studio") throws {
        let variables = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let quoted = (variables.isEmpty ? [] : ["env"] + variables) + [TmuxSession.higgs.path] + arguments
        try run("cd '\(folder.path)' && " + quoted.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " "))
        try waitFor("the studio's first screen") { $0.contains(marker) }
    }

    /// True when the last non-empty line of the screen is the bare shell prompt (the studio has exited).
    func atPrompt() throws -> Bool {
        let last = try screen().split(separator: "\n").last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        return last.map { $0.trimmingCharacters(in: .whitespaces) == bareprompt } ?? false
    }
}
