import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Signal handling. SIGTERM, SIGINT, SIGHUP and SIGQUIT only set a flag (the event loop sees it within a tick,
/// writes the autosave and restores the terminal). Crashes (SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT,
/// SIGFPE) restore the terminal modes saved at start and leave the alternate screen before dying, with
/// async-signal-safe calls only; the autosave is already on disk (it is written after every edit).
enum Signals {
    nonisolated(unsafe) private static var pending: UnsafeMutablePointer<sig_atomic_t>?
    nonisolated(unsafe) private static var modes: UnsafeMutablePointer<termios>?
    nonisolated(unsafe) private static var haveModes = false

    static func install() {
        guard pending == nil else { return }
        // A parent may have started us with signals blocked (the mask survives exec): unblock the ones the
        // studio relies on, or SIGTERM would never arrive and SIGWINCH (resizes) would be lost.
        var wanted = sigset_t()
        sigemptyset(&wanted)
        for sig in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGWINCH, SIGCONT, SIGTSTP] { sigaddset(&wanted, sig) }
        pthread_sigmask(SIG_UNBLOCK, &wanted, nil)
        let flag = UnsafeMutablePointer<sig_atomic_t>.allocate(capacity: 1)
        flag.pointee = 0
        pending = flag
        modes = UnsafeMutablePointer<termios>.allocate(capacity: 1)
        // SIGQUIT too: left to the runtime, it printed a crash report over the screen and the studio went on.
        for sig in [SIGTERM, SIGINT, SIGHUP, SIGQUIT] {
            signal(sig) { received in Signals.pending?.pointee = received }
        }
        for sig in [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE] {
            signal(sig) { received in
                Signals.restoreFromHandler()
                signal(received, SIG_DFL)
                raise(received)
            }
        }
    }

    static func saveTerminalModes() {
        guard let modes else { return }
        haveModes = tcgetattr(STDIN_FILENO, modes) == 0
    }

    /// The signal received (SIGTERM, SIGINT, SIGHUP, SIGQUIT), if any.
    static var received: Int32? {
        guard let p = pending, p.pointee != 0 else { return nil }
        return p.pointee
    }

    private static func restoreFromHandler() {
        if haveModes, let modes { tcsetattr(STDIN_FILENO, TCSANOW, modes) }
        // Attributes, mouse, bracketed paste, the alternate screen, the cursor, and the keypad's application mode
        // (curses's `keypad` leaves arrows sending ESC O A to the shell otherwise).
        let reset: StaticString = "\u{1b}[0m\u{1b}[?1000l\u{1b}[?2004l\u{1b}[?1049l\u{1b}[?25h\u{1b}[?1l\u{1b}>\r\n"
        _ = write(STDOUT_FILENO, reset.utf8Start, reset.utf8CodeUnitCount)
    }
}
