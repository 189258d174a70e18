import CNcurses

/// What a piece of the screen means; `attributes` turns it into colours, or into bold, dim, underline and
/// reverse video on a monochrome terminal (or with `NO_COLOR` set).
enum Style: Equatable {
    case normal, dim, bold
    case bar, barDim, barKey, appName
    case selection, selectionDim
    case speaker(Int)
    case event, unknownTag
    case queued, generating, done, stale, failed
    case panelTitle, panelTitleFocused, border
    case key, error, warning, good, found
    /// A word said otherwise than written (a pronunciation).
    case respelled
    case meter(Int)

    func attributes(colors: Bool) -> UInt32 {
        if colors {
            switch self {
            case .normal: return 0
            case .dim: return Attr.dim
            case .bold: return Attr.bold
            case .bar: return Attr.pair(Palette.bar)
            case .barDim: return Attr.pair(Palette.barDim)
            case .barKey: return Attr.pair(Palette.barKey) | Attr.bold
            case .appName: return Attr.pair(Palette.appName) | Attr.bold
            case .selection: return Attr.pair(Palette.selection)
            case .selectionDim: return Attr.pair(Palette.selectionDim)
            case .speaker(let i): return Attr.pair(Palette.speakers[i % Palette.speakers.count]) | Attr.bold
            case .event: return Attr.pair(Palette.event)
            case .unknownTag: return Attr.pair(Palette.red) | Attr.underline
            case .queued: return Attr.pair(Palette.yellow)
            case .generating: return Attr.pair(Palette.cyan) | Attr.bold
            case .done, .good: return Attr.pair(Palette.green)
            case .stale: return Attr.pair(Palette.yellow) | Attr.dim
            case .failed, .error: return Attr.pair(Palette.red) | Attr.bold
            case .warning: return Attr.pair(Palette.yellow)
            case .found: return Attr.pair(Palette.yellow) | Attr.bold | Attr.underline
            case .respelled: return Attr.underline
            case .panelTitle: return Attr.bold
            case .panelTitleFocused: return Attr.pair(Palette.barKey) | Attr.bold | Attr.reverse
            case .border: return Attr.pair(Palette.border)
            case .key: return Attr.pair(Palette.cyan) | Attr.bold
            case .meter(let level): return Attr.pair(level >= 2 ? Palette.red : level == 1 ? Palette.yellow : Palette.green)
            }
        }
        switch self {
        case .normal, .event, .queued, .generating, .done, .good, .meter: return 0
        case .dim, .stale, .selectionDim, .barDim, .border: return Attr.dim
        case .bold, .speaker, .key, .panelTitle, .warning: return Attr.bold
        case .bar, .selection, .panelTitleFocused: return Attr.reverse
        case .barKey, .appName: return Attr.reverse | Attr.bold
        case .unknownTag, .respelled: return Attr.underline
        case .failed, .error, .found: return Attr.bold | Attr.underline
        }
    }
}

/// curses attribute bits (macros in the C header, so restated here from its ABI: `NCURSES_ATTR_SHIFT` 8).
enum Attr {
    static let underline: UInt32 = 1 << 17
    static let reverse: UInt32 = 1 << 18
    static let dim: UInt32 = 1 << 20
    static let bold: UInt32 = 1 << 21
    static func pair(_ n: Int16) -> UInt32 { (UInt32(n) << 8) & 0xff00 }
}

/// Colour pairs; -1 is the terminal's own background or foreground.
enum Palette {
    static let bar: Int16 = 1
    static let barDim: Int16 = 2
    static let barKey: Int16 = 3
    static let selection: Int16 = 4
    static let selectionDim: Int16 = 5
    static let event: Int16 = 6
    static let red: Int16 = 7
    static let yellow: Int16 = 8
    static let green: Int16 = 9
    static let cyan: Int16 = 10
    static let border: Int16 = 11
    static let speakers: [Int16] = [12, 13, 14, 15, 16, 17]
    static let appName: Int16 = 18

    static func install() {
        let selectBackground: Int16 = COLORS >= 256 ? 237 : Int16(COLOR_BLUE)
        init_pair(bar, Int16(COLOR_BLACK), Int16(COLOR_CYAN))
        init_pair(barDim, Int16(COLOR_BLACK), Int16(COLOR_WHITE))
        init_pair(barKey, Int16(COLOR_YELLOW), -1)
        init_pair(appName, Int16(COLOR_BLACK), Int16(COLOR_YELLOW))
        init_pair(selection, Int16(COLOR_WHITE), selectBackground)
        init_pair(selectionDim, -1, COLORS >= 256 ? 235 : Int16(COLOR_BLACK))
        init_pair(event, Int16(COLOR_MAGENTA), -1)
        init_pair(red, Int16(COLOR_RED), -1)
        init_pair(yellow, Int16(COLOR_YELLOW), -1)
        init_pair(green, Int16(COLOR_GREEN), -1)
        init_pair(cyan, Int16(COLOR_CYAN), -1)
        init_pair(border, COLORS >= 256 ? 240 : Int16(COLOR_BLUE), -1)
        let speakerColours = [COLOR_CYAN, COLOR_GREEN, COLOR_YELLOW, COLOR_MAGENTA, COLOR_BLUE, COLOR_RED]
        for (pair, colour) in zip(speakers, speakerColours) { init_pair(pair, Int16(colour), -1) }
    }
}
