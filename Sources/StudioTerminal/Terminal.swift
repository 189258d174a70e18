import CNcurses
import Foundation
import Prompt
import Studio

/// The curses terminal: set up and restored on every way out (normal quit, thrown errors, SIGTERM, SIGINT
/// and SIGHUP through a flag the event loop polls; crashes through a handler that puts the saved terminal
/// modes back before the process dies), keys decoded into `Key`s, text drawn with wide characters.
final class Terminal {
    private(set) var height = 24
    private(set) var width = 80
    private(set) var hasColors = false
    /// Set when the character set is UTF-8: box and block characters; otherwise ASCII stand-ins.
    let unicode: Bool
    private var active = false
    private var savedStderr: Int32 = -1

    init() {
        unicode = TerminalLocale.ensureUTF8()
    }

    // MARK: Start and end

    func start() throws {
        Signals.install()
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw StudioError("the studio needs a terminal (stdin and stdout are not a TTY)")
        }
        // A terminal that cannot move its cursor (TERM=dumb, or none named) would show a blank studio.
        let term = ProcessInfo.processInfo.environment["TERM"] ?? ""
        if term.isEmpty || term == "dumb" {
            throw StudioError("this terminal (TERM=\(term.isEmpty ? "unset" : term)) cannot draw the studio; run it in a terminal "
                              + "such as xterm (TERM=xterm-256color)")
        }
        Signals.saveTerminalModes()
        // Library messages (ALSA, BLAS) must not scribble over the screen: stderr goes to a log meanwhile.
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("higgs-studio-\(getuid()).log").path
        let fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        if fd >= 0 {
            savedStderr = dup(STDERR_FILENO)
            dup2(fd, STDERR_FILENO)
            close(fd)
        }
        guard initscr() != nil else {
            restoreStderr()
            throw StudioError("cannot initialise the terminal (TERM=\(ProcessInfo.processInfo.environment["TERM"] ?? "unset"))")
        }
        active = true
        raw()
        noecho()
        nonl()
        keypad(stdscr, true)
        set_escdelay(25)
        curs_set(0)
        wtimeout(stdscr, 100)
        if ProcessInfo.processInfo.environment["NO_COLOR"] == nil && has_colors() {
            start_color()
            use_default_colors()
            Palette.install()
            hasColors = true
        }
        // Modified arrows as xterm (and tmux) send them, in case terminfo does not name them.
        define_key("\u{1b}[1;3A", KeyCodes.altUp)
        define_key("\u{1b}[1;3B", KeyCodes.altDown)
        define_key("\u{1b}[1;5D", KeyCodes.ctrlLeft)
        define_key("\u{1b}[1;5C", KeyCodes.ctrlRight)
        mousemask(Mouse.click | Mouse.wheelUp | Mouse.wheelDown, nil)
        // Bracketed paste: a terminal that knows it marks pasted text, which then arrives as one event
        // instead of keys (a pasted script must not run as commands).
        define_key("\u{1b}[200~", KeyCodes.pasteStart)
        define_key("\u{1b}[201~", KeyCodes.pasteEnd)
        writeControl("\u{1b}[?2004h")
        updateSize()
    }

    /// Puts the terminal back as it was. Safe to call twice.
    func stop() {
        guard active else { return }
        active = false
        curs_set(1)
        endwin()
        writeControl("\u{1b}[?2004l")
        restoreStderr()
    }

    private func writeControl(_ sequence: String) {
        fflush(stdout)
        _ = sequence.withCString { write(STDOUT_FILENO, $0, strlen($0)) }
    }

    private func restoreStderr() {
        if savedStderr >= 0 {
            dup2(savedStderr, STDERR_FILENO)
            close(savedStderr)
            savedStderr = -1
        }
    }

    func updateSize() {
        height = Int(getmaxy(stdscr))
        width = Int(getmaxx(stdscr))
    }

    // MARK: Keys

    enum Event: Equatable {
        case key(Key)
        case resize
        case click(y: Int, x: Int)
        case wheel(Int)
        /// Nothing within the tick (the screen may update progress and the transport bar).
        case tick
        /// The terminal is gone (its window closed or its server killed) without a SIGHUP reaching us.
        case hangup
        /// Text pasted into a terminal that marks pastes: line breaks as `\n`, tabs kept, other controls dropped.
        case paste(String)
    }

    /// Waits up to one tick (100 ms) for a key.
    func read() -> Event {
        var ch: wint_t = 0
        let r = wget_wch(stdscr, &ch)
        if r == ERR { return terminalGone() ? .hangup : .tick }
        if r == KEY_CODE_YES { return special(Int32(ch)) }
        let c = Int(ch)
        switch c {
        case 27:
            // Alt+key arrives as ESC and the key at once; ESC alone is Escape.
            wtimeout(stdscr, 0)
            var next: wint_t = 0
            let r2 = wget_wch(stdscr, &next)
            // An escape sequence this terminal's terminfo does not name (Home as `ESC [ 1 ~` with TERM=xterm-256color
            // inside tmux): read whole, as one key or none, never as Escape and then command keys.
            if r2 == OK, next == 0x5B || next == 0x4F, let sequence = readSequence(after: Character(Unicode.Scalar(UInt8(next)))) {
                wtimeout(stdscr, 100)
                return sequence
            }
            wtimeout(stdscr, 100)
            if r2 == OK, let s = Unicode.Scalar(UInt32(next)), next >= 32, next != 127 { return .key(.alt(Character(s))) }
            // ESC then a control key (typed or sent quickly): Escape, and the key stays for the next read.
            if r2 == OK { unget_wch(wchar_t(bitPattern: UInt32(next))) }
            if r2 == KEY_CODE_YES {
                switch Int32(next) {
                case KEY_UP: return .key(.altUp)
                case KEY_DOWN: return .key(.altDown)
                default: return special(Int32(next))
                }
            }
            return .key(.escape)
        case 9: return .key(.tab)
        case 10, 13: return .key(.enter)
        case 8, 127: return .key(.backspace)
        case 1...26: return .key(.ctrl(Character(Unicode.Scalar(UInt8(96 + c)))))
        default:
            guard c >= 32, let s = Unicode.Scalar(UInt32(c)) else { return .tick }
            return .key(.char(Character(s)))
        }
    }

    /// After a failed read: true when standard input hung up or is no longer a terminal (a read that fails
    /// at once forever would otherwise spin the loop).
    private func terminalGone() -> Bool {
        var fd = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        let ready = poll(&fd, 1, 0)
        if ready < 0 { return errno == EBADF }
        if fd.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 { return true }
        return isatty(STDIN_FILENO) != 1
    }

    /// The rest of a CSI (`ESC [`) or SS3 (`ESC O`) sequence already waiting, up to its final byte, as the key it is
    /// (`TerminalSequence`), or a tick for one the studio has no use for; nil when nothing follows the introducer
    /// (Alt-[ or Alt-O typed). Called with no wait for input.
    private func readSequence(after introducer: Character) -> Event? {
        var body = String(introducer)
        while body.count < 16 {
            var ch: wint_t = 0
            guard wget_wch(stdscr, &ch) == OK, let s = Unicode.Scalar(UInt32(ch)) else { break }
            body.unicodeScalars.append(s)
            // Parameters and intermediates are 0x20-0x3F; a final byte ends it.
            if (0x40...0x7E).contains(ch) { return TerminalSequence.key(body).map { .key($0) } ?? .tick }
        }
        if body.count == 1 { return nil }
        return .tick
    }

    /// The text between the paste marks (up to the end mark, a second without input, or 4 MB).
    private func readPaste() -> Event {
        var text: [Unicode.Scalar] = []
        var idle = 0
        var lastWasReturn = false
        while idle < 10 && text.count < 4_000_000 {
            var ch: wint_t = 0
            let r = wget_wch(stdscr, &ch)
            if r == ERR {
                if terminalGone() { return .hangup }
                idle += 1
                continue
            }
            idle = 0
            if r == KEY_CODE_YES {
                if Int32(ch) == KeyCodes.pasteEnd { break }
                if Int32(ch) == KEY_ENTER { text.append("\n") }
                continue
            }
            // A line break is CR (most terminals), LF, or CR LF (text copied from Windows): one each.
            defer { lastWasReturn = ch == 13 }
            switch ch {
            case 13: text.append("\n")
            case 10: if !lastWasReturn { text.append("\n") }
            case 9: text.append("\t")
            default:
                if ch >= 32, ch != 127, let s = Unicode.Scalar(UInt32(ch)) { text.append(s) }
            }
        }
        return .paste(String(String.UnicodeScalarView(text)))
    }

    private func special(_ code: Int32) -> Event {
        switch code {
        case KeyCodes.pasteStart: return readPaste()
        case KEY_RESIZE:
            updateSize()
            return .resize
        case KEY_UP: return .key(.up)
        case KEY_DOWN: return .key(.down)
        case KEY_LEFT: return .key(.left)
        case KEY_RIGHT: return .key(.right)
        case KEY_HOME: return .key(.home)
        case KEY_END: return .key(.end)
        case KEY_PPAGE: return .key(.pageUp)
        case KEY_NPAGE: return .key(.pageDown)
        case KEY_ENTER: return .key(.enter)
        case KEY_BACKSPACE: return .key(.backspace)
        case KEY_DC: return .key(.delete)
        case KEY_BTAB: return .key(.backTab)
        case KEY_F0 + 1...KEY_F0 + 12: return .key(.function(Int(code - KEY_F0)))
        case KeyCodes.altUp: return .key(.altUp)
        case KeyCodes.altDown: return .key(.altDown)
        case KeyCodes.ctrlLeft: return .key(.ctrlLeft)
        case KeyCodes.ctrlRight: return .key(.ctrlRight)
        case KEY_MOUSE:
            var event = MEVENT()
            guard getmouse(&event) == OK else { return .tick }
            if event.bstate & Mouse.wheelUp != 0 { return .wheel(-3) }
            if event.bstate & Mouse.wheelDown != 0 { return .wheel(3) }
            return .click(y: Int(event.y), x: Int(event.x))
        default:
            // Terminfo's own names for modified arrows.
            if let name = keyname(code).map({ String(cString: $0) }) {
                switch name {
                case "kUP3": return .key(.altUp)
                case "kDN3": return .key(.altDown)
                case "kLFT5": return .key(.ctrlLeft)
                case "kRIT5": return .key(.ctrlRight)
                default: break
                }
            }
            return .tick
        }
    }

    // MARK: Drawing

    /// Set while the window is too small for the studio: what is drawn after the message saying so (a dialog, a
    /// question) is left out, until the next `clear`.
    var holdsDrawing = false

    func clear() {
        holdsDrawing = false
        werase(stdscr)
    }
    func refreshScreen() { wrefresh(stdscr) }
    func hardRefresh() { clearok(stdscr, true); wrefresh(stdscr) }

    /// Draws `text` at row `y`, column `x`, at most `width` columns (wide characters are never split). Text cut
    /// short (by the limit or the screen's edge) ends in `…`, so that a cut name or description is not taken whole.
    func put(_ y: Int, _ x: Int, _ text: String, _ style: Style = .normal, width limit: Int? = nil) {
        guard !holdsDrawing, y >= 0, y < height, x >= 0, x < width else { return }
        let room = min(limit ?? (width - x), width - x)
        guard room > 0 else { return }
        var cells: [wchar_t] = []
        var drawn: [(scalars: Int, width: Int)] = []  // per character put, to take some back for the `…`
        var used = 0
        var cut: Substring?
        for (offset, ch) in zip(text.indices, text) {
            var w = DisplayWidth.of(ch)
            var scalars = Array(ch.unicodeScalars)
            if ch == "\t" {
                // A tab (kept in the file as written) is a space here: a column, as the editor counts it.
                scalars = [" "]
                w = 1
            } else if DisplayWidth.isDrawnAsStandIn(ch) {
                scalars = Array(repeating: "?", count: w)
            }
            if !unicode && scalars.contains(where: { !$0.isASCII }) {
                scalars = Array(repeating: "?", count: max(1, w))
            }
            if used + w > room {
                cut = text[offset...]
                break
            }
            cells.append(contentsOf: scalars.map { wchar_t(bitPattern: $0.value) })
            drawn.append((scalars.count, w))
            used += w
        }
        if let cut, cut.contains(where: { $0 != " " }) {
            while used + 1 > room, let last = drawn.popLast() {
                cells.removeLast(last.scalars)
                used -= last.width
            }
            cells.append(wchar_t(bitPattern: (unicode ? "…" : ">" as Unicode.Scalar).value))
        }
        wattrset(stdscr, Int32(bitPattern: style.attributes(colors: hasColors)))
        _ = cells.withUnsafeBufferPointer { mvwaddnwstr(stdscr, Int32(y), Int32(x), $0.baseAddress, Int32($0.count)) }
        wattrset(stdscr, 0)
    }

    /// Fills `count` columns of row `y` from `x` with spaces in `style` (backgrounds of bars and selections).
    func fill(_ y: Int, _ x: Int, _ count: Int, _ style: Style) {
        guard count > 0 else { return }
        put(y, x, String(repeating: " ", count: count), style, width: count)
    }

    /// Shows the hardware cursor at a spot (while editing text), or hides it.
    func showCursor(at spot: (y: Int, x: Int)?) {
        if !holdsDrawing, let spot, spot.y >= 0, spot.y < height, spot.x >= 0, spot.x < width {
            wmove(stdscr, Int32(spot.y), Int32(spot.x))
            curs_set(1)
        } else {
            curs_set(0)
        }
    }

    /// A character in Unicode, or its ASCII stand-in when the terminal is not UTF-8.
    func glyph(_ u: String, _ ascii: String) -> String { unicode ? u : ascii }
}

/// Mouse event bits (function-like macros in the header: `NCURSES_MOUSE_MASK(button, event)` is
/// `event << ((button - 1) * 5)`, pressed 2, clicked 4).
enum Mouse {
    static let click = mmask_t(4)
    static let wheelUp = mmask_t(2) << 15
    static let wheelDown = mmask_t(2) << 20
}

/// Key codes we give to escape sequences curses may not know (past ncurses's own range).
enum KeyCodes {
    static let altUp: Int32 = KEY_MAX + 1
    static let altDown: Int32 = KEY_MAX + 2
    static let ctrlLeft: Int32 = KEY_MAX + 3
    static let ctrlRight: Int32 = KEY_MAX + 4
    static let pasteStart: Int32 = KEY_MAX + 5
    static let pasteEnd: Int32 = KEY_MAX + 6
}

/// Keys as terminals other than the one terminfo describes send them (xterm's, rxvt's, the Linux console's), for the
/// sequences curses did not decode itself.
enum TerminalSequence {
    /// The key `body` (the sequence after ESC, `[1~`, `OH`) stands for; nil for one the studio does not use.
    static func key(_ body: String) -> Key? {
        switch body {
        case "[1~", "[7~", "[H", "OH": return .home
        case "[4~", "[8~", "[F", "OF": return .end
        case "[3~": return .delete
        case "[5~": return .pageUp
        case "[6~": return .pageDown
        case "[A", "OA": return .up
        case "[B", "OB": return .down
        case "[C", "OC": return .right
        case "[D", "OD": return .left
        default: return nil
        }
    }
}
