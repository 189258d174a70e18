import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The first Ctrl-C (or SIGTERM from a supervisor, or SIGHUP from a closed terminal) asks a command to stop: it keeps
/// what it has made, leaves what it was writing as it was, and exits with `exitStatus`. A second signal ends the
/// process at once.
enum Interrupt {
    nonisolated(unsafe) private static var count: sig_atomic_t = 0
    nonisolated(unsafe) private static var first: sig_atomic_t = 0

    static var requested: Bool { count > 0 }

    /// Set while nothing can stop midway and nothing is lost by ending (a model loading): the first signal ends the
    /// process at once, rather than after the minutes a first start's quantizing takes.
    nonisolated(unsafe) static var endsAtOnce: sig_atomic_t = 0

    /// 128 + the signal, as a shell reports a process the signal ended (130 for Ctrl-C): a stopped run is neither a
    /// success nor a line that failed (1).
    static var exitStatus: Int32 { 128 + (first == 0 ? SIGINT : first) }

    /// What stops an export midway (its staging removed, the export before kept).
    struct Stopped: Error {}

    static func install() {
        for stopping in [SIGINT, SIGTERM, SIGHUP] {
            signal(stopping) { received in
                if Interrupt.count == 0 { Interrupt.first = received }
                Interrupt.count += 1
                if Interrupt.count > 1 || Interrupt.endsAtOnce != 0 { _exit(128 + received) }
            }
        }
        // A mask of blocked signals is inherited: a parent that blocks SIGINT (a test runner, a supervisor) would
        // leave the handler never called.
        var set = sigset_t()
        sigemptyset(&set)
        for stopping in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&set, stopping) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }
}
