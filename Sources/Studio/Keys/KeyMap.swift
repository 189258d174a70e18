import Foundation

/// A key press, as the screen decodes it from the terminal.
public enum Key: Hashable, Sendable {
    /// A printable character (typed text, or a command letter when browsing).
    case char(Character)
    /// Control plus a letter (`.ctrl("s")`).
    case ctrl(Character)
    /// Alt (Meta) plus a character.
    case alt(Character)
    case function(Int)
    case up, down, left, right, home, end, pageUp, pageDown
    case enter, escape, tab, backTab, backspace, delete
    case altUp, altDown, ctrlLeft, ctrlRight

    /// How the help screen writes it.
    public var label: String {
        switch self {
        case .char(" "): return "Space"
        case .char(let c): return String(c)
        case .ctrl(let c): return "Ctrl-\(c.uppercased())"
        case .alt(let c): return "Alt-\(c)"
        case .function(let n): return "F\(n)"
        case .up: return "↑"
        case .down: return "↓"
        case .left: return "←"
        case .right: return "→"
        case .home: return "Home"
        case .end: return "End"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .enter: return "Enter"
        case .escape: return "Esc"
        case .tab: return "Tab"
        case .backTab: return "Shift-Tab"
        case .backspace: return "Backspace"
        case .delete: return "Delete"
        case .altUp: return "Alt-↑"
        case .altDown: return "Alt-↓"
        case .ctrlLeft: return "Ctrl-←"
        case .ctrlRight: return "Ctrl-→"
        }
    }
}

/// Where the keyboard focus is; each has its own bindings, over the global ones.
public enum KeyContext: String, CaseIterable, Sendable {
    case everywhere = "Everywhere"
    case script = "Script"
    case editing = "Editing a line"
    case cast = "Cast"
    case scene = "Scene"
}

/// Everything the studio can do from the keyboard.
public enum StudioAction: String, CaseIterable, Sendable {
    // Everywhere
    case help, save, saveAs, openProject, quit, nextPanel, previousPanel, undo, redo, generateLine, playLine, redraw
    // Script
    case lineUp, lineDown, pageUp, pageDown, firstLine, lastLine, nextNote, previousNote, nextToDo, previousToDo, lineHintInFull
    case editLine, editLineStart, newLineBelow, newLineAbove, deleteLine, duplicateLine, moveLineUp, moveLineDown
    case nextSpeaker, previousSpeaker
    case generateFromCursor, generateAll, regenerate, cancelLine, cancelAll
    case playPause, playFromCursor, stop, skipBack, skipForward, previousTake, nextTake, listTakes, keepTakeAsVoice
    case export, settings, pronunciations, find, findNext, findPrevious, clearFind, replace
    // Editing
    case stopEditing, splitLine, cursorLeft, cursorRight, cursorUp, cursorDown, cursorLineStart, cursorLineEnd
    case cursorWordLeft, cursorWordRight, deleteBackward, deleteForward, deleteWordBackward, deleteToLineStart
    case deleteToLineEnd
    // Cast
    case castUp, castDown, chooseVoice, addSpeaker, renameSpeaker, removeSpeaker, moveSpeakerUp, moveSpeakerDown
    case audition
    // Scene
    case sceneUp, sceneDown, chooseScene, editSceneText

    /// One line for the help screen.
    public var help: String {
        switch self {
        case .help: return "this help"
        case .save: return "save the project"
        case .saveAs: return "save the project under another name (or in another folder), and go on with that file"
        case .openProject: return "open another project (or start one); the engine stays loaded"
        case .quit: return "quit (asks when there are unsaved changes)"
        case .nextPanel: return "next panel (script, cast, scene)"
        case .previousPanel: return "previous panel"
        case .undo: return "undo (text, cast, scene and settings alike)"
        case .redo: return "redo"
        case .generateLine: return "generate the line (reuses a take made from the same inputs)"
        case .playLine: return "play the line (while it is generated, as it comes)"
        case .redraw: return "redraw the screen, re-read Voices/ and Scenes/"
        case .lineUp: return "previous line"
        case .lineDown: return "next line"
        case .pageUp: return "page up"
        case .pageDown: return "page down"
        case .firstLine: return "first line (N< goes to line N)"
        case .lastLine: return "last line (N> goes to line N)"
        case .nextNote: return "next heading: a chapter, a scene, a # note (not a # pause: or other line setting)"
        case .previousNote: return "previous heading"
        case .nextToDo: return "next line still to make: no take, out of date, cut, failed, or too long for its cue"
        case .previousToDo: return "previous line still to make"
        case .lineHintInFull: return "say in full what the bottom row says of the line (why it failed or cannot be made), when it is cut short"
        case .editLine: return "edit the line (at its end, or at the text found while highlighted)"
        case .editLineStart: return "edit the line (cursor at the start)"
        case .newLineBelow: return "new line below, with the next speaker's tag (a tag typed at once replaces it; Backspace takes it away)"
        case .newLineAbove: return "new line above"
        case .deleteLine: return "delete the line"
        case .duplicateLine: return "duplicate the line"
        case .moveLineUp: return "move the line up"
        case .moveLineDown: return "move the line down"
        case .nextSpeaker: return "next speaker for the line"
        case .previousSpeaker: return "previous speaker for the line"
        case .generateFromCursor: return "generate from this line to the end (NG goes to line N instead)"
        case .generateAll: return "generate every line without an up-to-date take, and those after it that its new take puts out of date"
        case .regenerate: return "regenerate the line with a new seed (a new take; 3r makes three to choose from)"
        case .cancelLine: return "cancel the line's generation"
        case .cancelAll: return "cancel all generation"
        case .playPause: return "play the line / pause / resume"
        case .playFromCursor: return "play from this line to the end"
        case .stop: return "stop playback"
        case .skipBack: return "while playing from here: back to the start of the line heard (the one before, near its start); in one line, 2 s back"
        case .skipForward: return "while playing from here: on to the next line; in one line, 2 s on"
        case .previousTake: return "choose the line's previous (older) take"
        case .nextTake: return "choose the line's next (newer) take"
        case .listTakes: return "the line's takes: hear any (l), choose one (Enter)"
        case .keepTakeAsVoice: return "keep the line's take as a voice clip; its speaker speaks with it"
        case .export: return "export into NAME.export/: the dialogue (WAV; MP3 with the setting), each line, stems, chapters, SRT/VTT subtitles, the transcript, lines.csv (check.txt for an audiobook)"
        case .settings: return "generation settings"
        case .pronunciations: return "words said otherwise than written (a name the voices misread)"
        case .find: return "find a line by its text (case and accents ignored)"
        case .findNext: return "next line with the text found"
        case .findPrevious: return "previous line with the text found"
        case .clearFind: return "stop highlighting the text found"
        case .replace: return "replace a text in every line (not in speaker or sound tags; one undo step)"
        case .stopEditing: return "stop editing"
        case .splitLine: return "split the line at the cursor (a new turn)"
        case .cursorLeft: return "cursor left"
        case .cursorRight: return "cursor right"
        case .cursorUp: return "line above"
        case .cursorDown: return "line below"
        case .cursorLineStart: return "start of the line"
        case .cursorLineEnd: return "end of the line"
        case .cursorWordLeft: return "word left"
        case .cursorWordRight: return "word right"
        case .deleteBackward: return "delete before the cursor"
        case .deleteForward: return "delete under the cursor"
        case .deleteWordBackward: return "delete the word before the cursor"
        case .deleteToLineStart: return "delete to the start of the line"
        case .deleteToLineEnd: return "delete to the end of the line"
        case .castUp: return "previous speaker"
        case .castDown: return "next speaker"
        case .chooseVoice: return "choose the speaker's voice"
        case .addSpeaker: return "add a speaker"
        case .renameSpeaker: return "rename the speaker (and their lines)"
        case .removeSpeaker: return "remove the speaker"
        case .moveSpeakerUp: return "move the speaker up (changes SPEAKERn)"
        case .moveSpeakerDown: return "move the speaker down"
        case .audition: return "audition: play the clip, or speak a sample sentence"
        case .sceneUp: return "previous scene"
        case .sceneDown: return "next scene"
        case .chooseScene: return "use the scene"
        case .editSceneText: return "write the scene's text yourself"
        }
    }
}

public struct KeyBinding: Sendable {
    public let context: KeyContext
    public let keys: [Key]
    public let action: StudioAction
}

/// Every key of the studio: the single source for dispatch and for the help screen.
public enum KeyMap {
    public static let bindings: [KeyBinding] = {
        var b: [KeyBinding] = []
        func bind(_ c: KeyContext, _ a: StudioAction, _ keys: Key...) { b.append(KeyBinding(context: c, keys: keys, action: a)) }
        bind(.everywhere, .help, .function(1))
        bind(.everywhere, .save, .ctrl("s"))
        bind(.everywhere, .saveAs, .alt("s"))
        bind(.everywhere, .openProject, .ctrl("o"))
        bind(.everywhere, .quit, .ctrl("q"), .ctrl("c"))
        bind(.everywhere, .nextPanel, .tab)
        bind(.everywhere, .previousPanel, .backTab)
        bind(.everywhere, .undo, .ctrl("z"))
        bind(.everywhere, .redo, .ctrl("y"))
        bind(.everywhere, .generateLine, .ctrl("g"), .function(5))
        bind(.everywhere, .playLine, .ctrl("p"), .function(6))
        bind(.everywhere, .redraw, .ctrl("l"))

        bind(.script, .help, .char("?"))
        bind(.script, .quit, .char("q"))
        bind(.script, .lineUp, .up, .char("k"))
        bind(.script, .lineDown, .down, .char("j"))
        bind(.script, .pageUp, .pageUp)
        bind(.script, .pageDown, .pageDown)
        bind(.script, .firstLine, .home, .char("<"))
        bind(.script, .lastLine, .end, .char(">"))
        bind(.script, .nextNote, .char("}"))
        bind(.script, .previousNote, .char("{"))
        bind(.script, .nextToDo, .char(")"))
        bind(.script, .previousToDo, .char("("))
        bind(.script, .lineHintInFull, .char("!"))
        bind(.script, .editLine, .enter, .char("a"))
        bind(.script, .editLineStart, .char("i"))
        bind(.script, .newLineBelow, .char("o"))
        bind(.script, .newLineAbove, .char("O"))
        bind(.script, .deleteLine, .char("x"), .delete)
        bind(.script, .duplicateLine, .char("D"))
        bind(.script, .moveLineUp, .char("K"), .altUp)
        bind(.script, .moveLineDown, .char("J"), .altDown)
        bind(.script, .nextSpeaker, .char("t"))
        bind(.script, .previousSpeaker, .char("T"))
        bind(.script, .undo, .char("u"))
        bind(.script, .redo, .char("U"), .ctrl("r"))
        bind(.script, .generateLine, .char("g"))
        bind(.script, .generateFromCursor, .char("G"))
        bind(.script, .generateAll, .char("A"))
        bind(.script, .regenerate, .char("r"))
        bind(.script, .cancelLine, .char("c"))
        bind(.script, .cancelAll, .char("C"))
        bind(.script, .playPause, .char(" "))
        bind(.script, .playLine, .char("p"))
        bind(.script, .playFromCursor, .char("P"))
        bind(.script, .stop, .char("s"))
        bind(.script, .saveAs, .char("S"))
        bind(.script, .skipBack, .left)
        bind(.script, .skipForward, .right)
        bind(.script, .previousTake, .char("["))
        bind(.script, .nextTake, .char("]"))
        bind(.script, .listTakes, .char("L"))
        bind(.script, .keepTakeAsVoice, .char("V"))
        bind(.script, .export, .char("e"))
        bind(.script, .settings, .char(","))
        bind(.script, .pronunciations, .char("W"))
        bind(.script, .find, .char("/"))
        bind(.script, .findNext, .char("n"))
        bind(.script, .findPrevious, .char("N"))
        bind(.script, .clearFind, .escape)
        bind(.script, .replace, .char("R"))

        bind(.editing, .stopEditing, .escape)
        bind(.editing, .splitLine, .enter)
        bind(.editing, .cursorLeft, .left)
        bind(.editing, .cursorRight, .right)
        bind(.editing, .cursorUp, .up)
        bind(.editing, .cursorDown, .down)
        bind(.editing, .cursorLineStart, .home, .ctrl("a"))
        bind(.editing, .cursorLineEnd, .end, .ctrl("e"))
        bind(.editing, .cursorWordLeft, .ctrlLeft, .alt("b"))
        bind(.editing, .cursorWordRight, .ctrlRight, .alt("f"))
        bind(.editing, .deleteBackward, .backspace)
        bind(.editing, .deleteForward, .delete)
        bind(.editing, .deleteWordBackward, .ctrl("w"))
        bind(.editing, .deleteToLineStart, .ctrl("u"))
        bind(.editing, .deleteToLineEnd, .ctrl("k"))
        bind(.editing, .nextSpeaker, .ctrl("t"))

        bind(.cast, .help, .char("?"))
        bind(.cast, .quit, .char("q"))
        bind(.cast, .castUp, .up, .char("k"))
        bind(.cast, .castDown, .down, .char("j"))
        bind(.cast, .chooseVoice, .enter, .char("v"))
        bind(.cast, .addSpeaker, .char("a"))
        bind(.cast, .renameSpeaker, .char("n"))
        bind(.cast, .removeSpeaker, .char("x"), .delete)
        bind(.cast, .moveSpeakerUp, .char("K"))
        bind(.cast, .moveSpeakerDown, .char("J"))
        bind(.cast, .audition, .char("l"), .char(" "))
        bind(.cast, .stop, .char("s"))
        bind(.cast, .stopEditing, .escape)

        bind(.scene, .help, .char("?"))
        bind(.scene, .quit, .char("q"))
        bind(.scene, .sceneUp, .up, .char("k"))
        bind(.scene, .sceneDown, .down, .char("j"))
        bind(.scene, .chooseScene, .enter)
        bind(.scene, .editSceneText, .char("E"))
        bind(.scene, .stopEditing, .escape)
        return b
    }()

    /// The action of `key` in `context`: the context's own binding first, then the global one.
    public static func action(for key: Key, in context: KeyContext) -> StudioAction? {
        if let b = bindings.first(where: { $0.context == context && $0.keys.contains(key) }) { return b.action }
        return bindings.first(where: { $0.context == .everywhere && $0.keys.contains(key) })?.action
    }

    /// Whether `context` has a key of its own for `action`.
    public static func binds(_ action: StudioAction, in context: KeyContext) -> Bool {
        bindings.contains { $0.context == context && $0.action == action }
    }

    /// Help screen sections: each context with its (keys, description) rows, and the keys of lists and prompts.
    public static var helpSections: [(title: String, rows: [(keys: String, help: String)])] {
        var out = KeyContext.allCases.map { context in
            (title: context.rawValue,
             rows: bindings.filter { $0.context == context }.map { (keys: $0.keys.map(\.label).joined(separator: " "), help: $0.action.help) })
        }
        out.append((title: "Lists and prompts",
                    rows: [("↑ ↓ PgUp PgDn", "move"), ("Enter", "choose / confirm"), ("Esc", "cancel"),
                           ("← →", "change a setting's value"), ("y n c", "answer a question (yes, no, cancel)")]))
        out.append((title: "Counts, in the script",
                    rows: [("1-9", "a count for the next key: 3r three new takes to choose from, 5j five lines down")]))
        return out
    }
}
