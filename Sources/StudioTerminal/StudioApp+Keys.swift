import Foundation
import Studio

/// Keys and clicks: each key is an action of the key map in the current context (a line being edited, the
/// script, the cast or the scene panel), with a count typed before it.
extension StudioApp {
    var context: KeyContext {
        if editing { return .editing }
        switch focus {
        case .script: return .script
        case .cast: return .cast
        case .scene: return .scene
        }
    }

    func handle(_ key: Key) throws {
        let action = KeyMap.action(for: key, in: context)
        if editing, action == nil, case .char(let c) = key {
            editor.insert(String(c))
            return
        }
        // Esc typed quickly before a command key reaches us as Alt+key: leave the line, then do the command.
        if editing, action == nil, case .alt(let c) = key {
            editing = false
            castSpeaker(ofLine: currentID)
            return try handle(.char(c))
        }
        // A window too small to show the studio takes only quitting and redrawing: nothing else done in it
        // could be seen (a line deleted blind).
        if windowTooSmall {
            guard action == .quit || action == .redraw else { return }
        }
        // A count before a script key, as in vi: `3r` asks for three takes at once, `250j` goes 250 lines down.
        let typedCount = count
        count = nil
        // The count's hint goes once the count is used (or dropped), not seconds later over what the key did.
        if typedCount != nil, let shown = message, shown.text.hasPrefix("\(typedCount!)…") { message = nil }
        if focus == .script, !editing, action == nil, case .char(let c) = key, c.isASCII, let digit = c.wholeNumberValue,
           digit > 0 || typedCount != nil {
            count = min(99_999, (typedCount ?? 0) * 10 + digit)
            return say("\(count!)…  then r for that many new takes of the line, j or k to move that many lines, G (or < >) to go "
                       + "to line \(count!)", .dim, seconds: 4)
        }
        guard let action else {
            if case .char(let c) = key, focus == .script { say("'\(c)' does nothing here — press ? for the keys", .dim, seconds: 3) }
            return
        }
        // A key of every panel pressed while writing (generate, play, save) takes the line as written.
        if editing, !KeyMap.binds(action, in: .editing) { castSpeaker(ofLine: currentID) }
        if let typedCount, focus == .script, !editing {
            return try perform(action, count: typedCount)
        }
        try perform(action)
    }

    /// A script key given a count: some repeat, `r` makes that many takes; the others are done once.
    private func perform(_ action: StudioAction, count: Int) throws {
        switch action {
        case .regenerate: try makeTakes(count)
        case .lineUp, .lineDown: editor.moveVertically(action == .lineDown ? count : -count)
        // A line number, as vi's `300G` (G alone generates from the line: given a count, it goes there).
        case .generateFromCursor, .firstLine, .lastLine:
            editor.moveTo(line: min(count, editor.lines.count) - 1)
            say("Line \(editor.line + 1) of \(editor.lines.count).", .dim, seconds: 3)
        case .moveLineUp, .moveLineDown, .nextToDo, .previousToDo, .nextNote, .previousNote, .findNext, .findPrevious:
            // No further than the script is long (a count typed too long is not a minute of moving).
            for _ in 0..<min(count, editor.lines.count) { try perform(action) }
        default: try perform(action)
        }
    }

    func perform(_ action: StudioAction) throws {
        switch action {
        case .help: try showHelp()
        case .save: try save()
        case .saveAs: try save(askingForName: true)
        case .openProject: try openAnother()
        case .quit: try quit()
        case .nextPanel: cycleFocus(1)
        case .previousPanel: cycleFocus(-1)
        // Said, so that what the last change said ("Renamed…", "Deleted…") is not left standing over its undoing.
        case .undo: say(editor.undo() ? "Undone (Ctrl-Y redoes)." : "Nothing to undo.", .dim, seconds: 3)
        case .redo: say(editor.redo() ? "Redone." : "Nothing to redo.", .dim, seconds: 3)
        case .redraw:
            reloadLibraries()
            terminal.hardRefresh()
            say("Re-read \(voices.folder.path) and \(scenes.folder.path).")
        default:
            switch focus {
            case .script: try performScript(action)
            case .cast: try performCast(action)
            case .scene: try performScene(action)
            }
        }
    }

    private func cycleFocus(_ delta: Int) {
        editing = false
        let order: [Focus] = [.script, .cast, .scene]
        let i = order.firstIndex(of: focus) ?? 0
        focus = order[(i + delta + order.count) % order.count]
    }

    func click(y: Int, x: Int) {
        let layout = Layout(height: terminal.height, width: terminal.width, sidePanel: showsSidePanel)
        if layout.script.contains(y: y, x: x) {
            let row = y - layout.script.y - 1
            guard row >= 0 else { return }
            focus = .script
            if top + row < editor.lines.count {
                editing = false
                editor.moveTo(line: top + row)
            }
        } else if let cast = layout.cast, cast.contains(y: y, x: x) {
            focus = .cast
            editing = false
            let row = y - cast.y - 1
            if row >= 0 && row < header.cast.count { castIndex = row }
        } else if let scene = layout.scene, scene.contains(y: y, x: x) {
            focus = .scene
            editing = false
        }
    }
}
