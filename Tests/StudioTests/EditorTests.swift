import Foundation
import Studio
import Testing

@Suite struct EditorTests {
    init() { TerminalLocale.ensureUTF8() }

    /// A document in place of another (the file read again) goes on from its revision and line ids: what was planned
    /// or queued for the old lines is never taken for the new ones (explore pass 6, B1: the lines read again kept
    /// the old lines' plans, marks and export).
    @Test func aDocumentReplacingAnotherGoesOnFromItsRevisionAndIDs() {
        var old = ScriptEditor(lines: ["[Ann] One.", "[Ann] Two."])
        old.newLine(above: false, text: "[Ann] Three.")
        let new = ScriptEditor(lines: ["[Ann] Other words."], header: Project(), replacing: old)
        #expect(new.revision > old.revision)
        #expect(Set(new.lines.map(\.id)).isDisjoint(with: old.lines.map(\.id)))
        #expect(new.texts == ["[Ann] Other words."] && !new.canUndo)
        let fresh = ScriptEditor(lines: ["[Ann] Other words."])
        #expect(ScriptEditor(lines: ["x"], replacing: fresh).revision == 1 && fresh.revision == 0)

        // The file read again in place: new ids and revision too, and one undo step back to the text and header
        // before (explore pass 6, D9: undo was cleared).
        var read = ScriptEditor(lines: ["[Ann] One."], header: Project(cast: [CastMember(name: "Ann", voice: .automatic)]))
        let before = (read.lines, read.header, read.revision)
        read.replaceAll(["[Bo] Elsewhere."], header: Project(cast: [CastMember(name: "Bo", voice: .automatic)], script: ["ignored"]))
        #expect(read.texts == ["[Bo] Elsewhere."] && read.header.cast.map(\.name) == ["Bo"] && read.header.script.isEmpty)
        #expect(read.revision > before.2 && Set(read.lines.map(\.id)).isDisjoint(with: before.0.map(\.id)))
        #expect(read.undo() && read.lines == before.0 && read.header == before.1)
    }

    @Test func wideCharacterColumns() {
        #expect(DisplayWidth.of("a") == 1)
        #expect(DisplayWidth.of("你") == 2)
        #expect(DisplayWidth.of("👋") == 2)
        #expect(DisplayWidth.of("é") == 1)                  // precomposed
        #expect(DisplayWidth.of("e\u{301}") == 1)          // e + combining acute: one character, one column
        #expect(DisplayWidth.of("ab你好👋") == 8)
        let chars = Array("a你b好")
        #expect((0...4).map { DisplayWidth.column(of: $0, in: chars) } == [0, 1, 3, 4, 6])
        #expect((0...7).map { DisplayWidth.index(atColumn: $0, in: chars) } == [0, 1, 1, 2, 3, 3, 4, 4])
        #expect(DisplayWidth.truncate("你好世界", to: 5) == "你好…")
        #expect(DisplayWidth.pad("你", to: 4) == "你  ")
    }

    /// A character with no width of its own (pasted from a web page) takes a column, drawn as `?`, so that terminals
    /// that disagree on where it goes leave no stray cells (explore pass 8, D7); a mark on a letter stays part of it.
    @Test func charactersWithNoWidthTakeAColumn() {
        for invisible in ["\u{200B}", "\u{200D}", "\u{FEFF}", "\u{200E}", "\u{301}"] {
            let c = Character(invisible)
            #expect(DisplayWidth.of(c) == 1 && DisplayWidth.isDrawnAsStandIn(c), "U+\(String(c.unicodeScalars.first!.value, radix: 16))")
        }
        #expect(DisplayWidth.of("a\u{200B}b") == 3)
        #expect(DisplayWidth.column(of: 2, in: Array("a\u{200B}b")) == 2)
        for visible in ["a", "e\u{301}", "你", "👋🏽", "❤️"] {
            #expect(!DisplayWidth.isDrawnAsStandIn(Character(visible)), "\(visible)")
        }
        #expect(DisplayWidth.isDrawnAsStandIn("\u{7}"))
    }

    /// Facts joined as far as they fit, the rest left out whole; only the first is ever cut (explore pass 8, D3).
    @Test func factsAreLeftOutWholeWhereTheyDoNotFit() {
        let facts = ["engine: ~/models/higgs", "q4", "2 threads", "last time 25.3 frames/s (1.01x real time)", "a prompt 1.2 s"]
        #expect(DisplayWidth.fitting(facts, separator: " · ", width: 200) == facts.joined(separator: " · "))
        #expect(DisplayWidth.fitting(facts, separator: " · ", width: 60) == "engine: ~/models/higgs · q4 · 2 threads")
        // One that does not fit ends the row, even where a later one would.
        #expect(DisplayWidth.fitting(facts, separator: " · ", width: 80) == "engine: ~/models/higgs · q4 · 2 threads")
        #expect(DisplayWidth.fitting(facts, separator: " · ", width: 10) == "engine: ~…")
        // Those kept are there whatever the width, the first cut to make room for them.
        #expect(DisplayWidth.fitting(facts, separator: " · ", width: 30, kept: 3) == "engine: ~/mo… · q4 · 2 threads")
        #expect(DisplayWidth.fitting(facts, separator: " · ", width: 60, kept: 3) == "engine: ~/models/higgs · q4 · 2 threads")
        #expect(DisplayWidth.fitting([], separator: " · ", width: 10).isEmpty)
    }

    @Test func horizontalScrollKeepsTheCursorVisible() {
        let chars = Array("0123456789你好abc")
        #expect(DisplayWidth.scrollOffset(chars: chars, cursor: 3, width: 8, previous: 0) == 0)
        // Cursor at the end (column 17) in 8 columns: the cursor cell must fit.
        let start = DisplayWidth.scrollOffset(chars: chars, cursor: chars.count, width: 8, previous: 0)
        #expect(DisplayWidth.column(of: chars.count, in: chars) - DisplayWidth.column(of: start, in: chars) + 1 <= 8)
        #expect(start == 10)
        // Moving back left scrolls back.
        #expect(DisplayWidth.scrollOffset(chars: chars, cursor: 2, width: 8, previous: start) == 2)
        // A short line edited after a long one starts at its start, whatever the offset before (explore pass 8, B1).
        #expect(DisplayWidth.scrollOffset(chars: Array("[Tom] Short."), cursor: 12, width: 30, previous: 150) == 0)
        // Text to the left is shown rather than columns left empty at the end.
        #expect(DisplayWidth.scrollOffset(chars: chars, cursor: chars.count, width: 8, previous: 14) == 10)
        #expect(DisplayWidth.scrollOffset(chars: chars, cursor: 13, width: 8, previous: 13) == 9)
        // A paragraph's length in one step, linear: the answer is where the cursor's end is.
        let long = Array(String(repeating: "lorem ipsum 日本 ", count: 1_500))
        let far = DisplayWidth.scrollOffset(chars: long, cursor: long.count, width: 70, previous: 0)
        #expect(DisplayWidth.column(of: long.count, in: long) - DisplayWidth.column(of: far, in: long) + 1 <= 70)
        #expect(DisplayWidth.column(of: long.count, in: long) - DisplayWidth.column(of: far - 1, in: long) + 1 > 70)
    }

    @Test func typingWideCharactersAndMovingByColumns() {
        var e = ScriptEditor(lines: ["[Lin] 你好世界", "abcdefghij"])
        e.moveTo(line: 0)
        #expect(e.column == 10)
        e.insert("！👋🏽")
        #expect(e.currentLine.text == "[Lin] 你好世界！👋🏽")
        #expect(e.column == 12)                             // 👋🏽 is one character
        e.moveTo(line: 0, column: 8)                        // before 世: screen column 10
        e.moveVertically(1)
        #expect(e.line == 1 && e.column == 10)              // same screen column
        e.moveTo(line: 1, column: 7)
        e.moveVertically(-1)
        #expect(e.column == 6)                              // screen column 7 is inside 你 (6..<8): lands on 你
        e.deleteForward()
        #expect(e.currentLine.text == "[Lin] 好世界！👋🏽")
        e.moveToLineEnd()
        e.backspace()
        #expect(e.currentLine.text == "[Lin] 好世界！")
    }

    /// Scalars typed one at a time that join the character before them (a skin tone, a combining accent, a flag's
    /// second letter, a zero-width joiner) leave the cursor after the character they made, and typing goes on.
    @Test func typedScalarsThatJoinTheCharacterBefore() {
        for (pieces, whole) in [(["👍", "\u{1F3FD}"], "👍🏽"), (["e", "\u{301}"], "é"), (["🇫", "🇷"], "🇫🇷"),
                                (["👩", "\u{200D}", "👩", "\u{200D}", "👧"], "👩‍👩‍👧"), (["a", "\u{200D}", "b"], "a\u{200D}b")] {
            var e = ScriptEditor(lines: ["[Mara] Hi "])
            e.moveToLineEnd()
            for piece in pieces { e.insert(piece) }
            e.insert("x")
            #expect(e.currentLine.text == "[Mara] Hi " + whole + "x")
            #expect(e.column == e.currentLine.text.count)
            e.moveLeft()
            e.insert("y")
            #expect(e.currentLine.text == "[Mara] Hi " + whole + "yx")
        }
        // A combining accent typed before a letter's neighbour joins the letter before it; the cursor stays after it.
        var e = ScriptEditor(lines: ["cafe!"])
        e.moveTo(line: 0, column: 4)
        e.insert("\u{301}")
        #expect(e.currentLine.text == "café!" && e.column == 4)
        e.insert("s")
        #expect(e.currentLine.text == "cafés!")
    }

    /// `holds` (unsaved changes, the autosave's) says what comparing `texts` and the header with a project says.
    @Test func holdsIsWhatTheProjectItMakesEquals() {
        let header = Project(cast: [CastMember(name: "Ann", voice: .automatic)])
        var editor = ScriptEditor(lines: ["[Ann] One.", "Two."], header: header)
        func made(_ editor: ScriptEditor) -> Project {
            var p = editor.header
            p.script = editor.texts
            return p
        }
        let saved = made(editor)
        #expect(editor.holds(saved))
        editor.insert("x")
        #expect(!editor.holds(saved) && editor.holds(made(editor)))
        editor.undo()
        #expect(editor.holds(saved))
        editor.editHeader { $0.settings.seed = 7 }
        #expect(!editor.holds(saved) && editor.holds(made(editor)))
        var longer = saved
        longer.script.append("Three.")
        #expect(!editor.holds(longer))
        // A lone empty line is an empty script.
        let empty = ScriptEditor(lines: [""], header: header)
        #expect(empty.holds(header) && !empty.holds(saved))
        var blank = header
        blank.script = [""]
        #expect(!empty.holds(blank) && made(empty) != blank)
    }

    @Test func undoAndRedoSayWhetherThereWasAnything() {
        var e = ScriptEditor(lines: ["[Ann] Hi."])
        #expect(!e.undo() && !e.redo())
        e.moveToLineEnd()
        e.insert("!")
        #expect(e.undo() && e.currentLine.text == "[Ann] Hi." && !e.undo())
        #expect(e.redo() && e.currentLine.text == "[Ann] Hi.!" && !e.redo())
    }

    @Test func undoRedoGroupsWords() {
        var e = ScriptEditor(lines: [""])
        for c in "Hello big world" { e.insert(String(c)) }
        #expect(e.currentLine.text == "Hello big world")
        e.undo()
        #expect(e.currentLine.text == "Hello big ")
        e.undo()
        #expect(e.currentLine.text == "Hello ")
        e.redo()
        #expect(e.currentLine.text == "Hello big ")
        e.backspace(); e.backspace(); e.backspace(); e.backspace()
        #expect(e.currentLine.text == "Hello ")
        #expect(!e.canRedo)                                 // a new edit ends the redo history
        e.undo()
        #expect(e.currentLine.text == "Hello big ")
        while e.canUndo { e.undo() }
        #expect(e.currentLine.text == "")
    }

    @Test func lineOperationsKeepIdsAndUndo() {
        var e = ScriptEditor(lines: ["one", "two", "three"])
        let ids = e.lines.map(\.id)
        e.moveTo(line: 0)
        e.moveLine(by: 1)
        #expect(e.lines.map(\.text) == ["two", "one", "three"] && e.line == 1)
        #expect(e.lines.map(\.id) == [ids[1], ids[0], ids[2]])
        e.duplicateLine()
        #expect(e.lines.map(\.text) == ["two", "one", "one", "three"] && e.line == 2)
        #expect(!ids.contains(e.lines[2].id))
        e.deleteLine()
        e.newLine(above: true, text: "zero")
        #expect(e.lines.map(\.text) == ["two", "one", "zero", "three"])
        e.moveTo(line: 1, column: 1)
        e.splitLine()
        #expect(e.lines.map(\.text) == ["two", "o", "ne", "zero", "three"] && e.line == 2 && e.column == 0)
        e.backspace()
        #expect(e.lines.map(\.text) == ["two", "one", "zero", "three"] && e.column == 1)
        let revision = e.revision
        for _ in 0..<6 { e.undo() }
        #expect(e.lines.map(\.text) == ["one", "two", "three"])
        #expect(e.lines.map(\.id) == ids)
        #expect(e.revision == revision + 6)
        e.moveTo(line: 2)
        e.moveLine(by: 1)                                   // already last: nothing
        #expect(e.lines.map(\.text) == ["one", "two", "three"])
    }

    /// A new line opens with the next speaker's tag: a tag typed at once replaces it, Backspace takes it back
    /// whole, and once anything else is typed it is the line's own text.
    @Test func theTagANewLineOpensWithIsASuggestion() {
        var e = ScriptEditor(lines: ["[Mara] Hi."])
        e.newLine(text: "[Theo] ")
        e.insert("[Zed] Hello.")
        #expect(e.lines.map(\.text) == ["[Mara] Hi.", "[Zed] Hello."])
        e.undo()
        #expect(e.lines.map(\.text) == ["[Mara] Hi.", "[Theo] "])

        e.moveTo(line: 0)
        e.newLine(text: "[Theo] ")
        e.backspace()
        #expect(e.lines[1].text == "" && e.column == 0)
        e.insert("# pause: 1")
        #expect(e.lines[1].text == "# pause: 1")

        // Typed into, it stays: a bracket later is text (an event tag), and Backspace deletes one character.
        e.moveTo(line: 0)
        e.newLine(text: "[Theo] ")
        e.insert("Well ")
        e.insert("[laugh]")
        #expect(e.lines[1].text == "[Theo] Well [laugh]")
        e.newLine(text: "[Mara] ")
        e.moveLeft()
        e.insert("x")
        e.moveToLineEnd()
        e.backspace()
        #expect(e.lines[2].text == "[Mara]x")
    }

    @Test func headerEditsUndoWithTheLines() {
        let project = Project(scene: .named("late_night_radio"), cast: [CastMember(name: "Mara", voice: .automatic)],
                              script: ["[Mara] Hi.", "[Mara] Bye."])
        var e = ScriptEditor(lines: project.script, header: project)
        #expect(e.header.script.isEmpty && e.header.cast == project.cast)
        e.moveToLineEnd()
        e.insert("!")
        // A rename changes the cast and the lines in one step.
        e.editHeader({ $0.cast[0].name = "Ann" }, lines: { $0.replacingOccurrences(of: "[Mara]", with: "[Ann]") })
        #expect(e.header.cast[0].name == "Ann" && e.lines.map(\.text) == ["[Ann] Hi.!", "[Ann] Bye."])
        e.editHeader { $0.scene = .none }
        e.editHeader { $0.scene = .none }                   // no change: no step
        e.undo()
        #expect(e.header.scene == .named("late_night_radio"))
        e.undo()
        #expect(e.header.cast[0].name == "Mara" && e.lines.map(\.text) == ["[Mara] Hi.!", "[Mara] Bye."])
        e.undo()
        #expect(e.lines.map(\.text) == project.script && e.header.cast == project.cast && !e.canUndo)
        e.redo(); e.redo()
        #expect(e.header.cast[0].name == "Ann" && e.lines[0].text == "[Ann] Hi.!" && e.header.scene == project.scene)
        let revision = e.revision
        e.editHeader { $0.settings.seed = 7 }
        #expect(e.revision == revision + 1 && !e.canRedo && e.header.settings.seed == 7)
    }

    @Test func findingLinesWrapsAroundTheScript() {
        var e = ScriptEditor(lines: ["[Mara] Toast?", "[Theo] No.", "[Ines] Un toast, Theo!", "[Lin] 葱油饼", "[Mara] Crème brûlée."])
        #expect(e.lines(containing: "TOAST") == [0, 2])
        #expect(e.lines(containing: "creme brulee") == [4])      // accents ignored
        #expect(e.lines(containing: "油") == [3])
        #expect(e.lines(containing: "").isEmpty && e.lines(containing: "toastx").isEmpty)
        let toast = e.lines(containing: "toast")
        #expect(e.nextMatch(in: toast) == 2)                      // after the cursor (line 0)
        e.moveTo(line: 2)
        #expect(e.nextMatch(in: toast) == 0)                      // wraps to the top
        #expect(e.nextMatch(in: toast, forward: false) == 0)
        e.moveTo(line: 0)
        #expect(e.nextMatch(in: toast, forward: false) == 2)      // wraps to the bottom
        #expect(e.nextMatch(in: [0]) == 0 && e.nextMatch(in: []) == nil)

        // Where, in characters, for highlighting: every occurrence, wide characters and accents counted as one.
        #expect(ScriptEditor.occurrences(of: "toast", in: "[Ines] Un toast, Theo! TOAST.") == [10..<15, 23..<28])
        #expect(ScriptEditor.occurrences(of: "brulee", in: "[Mara] Crème brûlée.") == [13..<19])
        #expect(ScriptEditor.occurrences(of: "油饼", in: "[Lin] 葱油饼，葱油饼") == [7..<9, 11..<13])
        #expect(ScriptEditor.occurrences(of: "aa", in: "aaaa") == [0..<2, 2..<4])
        #expect(ScriptEditor.occurrences(of: "", in: "abc").isEmpty && ScriptEditor.occurrences(of: "x", in: "").isEmpty)
    }

    @Test func deletingWordsAndToLineEnds() {
        var e = ScriptEditor(lines: ["[Mara] Good evening, night owls"])
        e.moveToLineEnd()
        e.deleteWordBackward()
        #expect(e.currentLine.text == "[Mara] Good evening, night ")
        e.deleteWordBackward()
        #expect(e.currentLine.text == "[Mara] Good evening, ")
        e.moveWordLeft()
        #expect(e.column == 12)
        e.deleteToLineEnd()
        #expect(e.currentLine.text == "[Mara] Good ")
        e.moveTo(line: 0, column: 7)
        e.deleteToLineStart()
        #expect(e.currentLine.text == "Good " && e.column == 0)
        e.moveWordRight()
        #expect(e.column == 4)
    }

    @Test func speakerCycling() {
        var e = ScriptEditor(lines: ["Hello there.", "[SPEAKER1] Hi."])
        let names = ["Mara", "Theo"]
        e.moveTo(line: 0, column: 5)
        e.cycleSpeaker(names)
        #expect(e.currentLine.text == "[Mara] Hello there." && e.column == 12)
        e.cycleSpeaker(names)
        #expect(e.currentLine.text == "[Theo] Hello there.")
        e.cycleSpeaker(names)
        #expect(e.currentLine.text == "Hello there." && e.column == 5)
        e.cycleSpeaker(names, forward: false)
        #expect(e.currentLine.text == "[Theo] Hello there.")
        e.moveTo(line: 1)
        e.cycleSpeaker(names)                                // an unknown tag goes to the first name
        #expect(e.currentLine.text == "[Mara] Hi.")
        e.undo()
        #expect(e.currentLine.text == "[SPEAKER1] Hi.")
    }

    @Test func insertingTextWithNewlinesAndControls() {
        var e = ScriptEditor(lines: [])
        #expect(e.texts == [])
        e.insert("[A] one\ttwo\u{7}\r\n[B] three")
        #expect(e.texts == ["[A] one two", "[B] three"])
        #expect(e.line == 1 && e.column == 9)
        e.deleteLine(); e.deleteLine()
        #expect(e.texts == [])
    }

    /// A paste is one undo step, whether typed into a line (its breaks split it) or put in as lines with
    /// the speakers they bring.
    @Test func pastesUndoAsOneStep() {
        var e = ScriptEditor(lines: ["[A] Hello", "[B] Bye"], header: Project(cast: [CastMember(name: "A", voice: .automatic)]))
        e.moveToLineEnd()
        e.insert(" there")
        e.paste(", you.\n[C] Hi. Two words")
        #expect(e.texts == ["[A] Hello there, you.", "[C] Hi. Two words", "[B] Bye"])
        #expect(e.line == 1 && e.column == 17)
        e.undo()
        #expect(e.texts == ["[A] Hello there", "[B] Bye"])
        e.undo()
        #expect(e.texts == ["[A] Hello", "[B] Bye"])
        e.redo(); e.redo()
        #expect(e.texts == ["[A] Hello there, you.", "[C] Hi. Two words", "[B] Bye"])

        e.insertLines(["[D] One.", "[D] Two."]) { $0.cast.append(CastMember(name: "D", voice: .automatic)) }
        #expect(e.texts == ["[A] Hello there, you.", "[C] Hi. Two words", "[D] One.", "[D] Two.", "[B] Bye"])
        #expect(e.line == 3 && e.column == 0)
        #expect(e.header.cast.map(\.name) == ["A", "D"])
        e.undo()
        #expect(e.texts == ["[A] Hello there, you.", "[C] Hi. Two words", "[B] Bye"])
        #expect(e.header.cast.map(\.name) == ["A"])

        // An empty line is replaced: a new project's lone line does not stay above what was pasted.
        var empty = ScriptEditor(lines: [])
        empty.insertLines(["[A] First.", "[A] Second."])
        #expect(empty.texts == ["[A] First.", "[A] Second."])
        #expect(Set(empty.lines.map(\.id)).count == 2)
    }

    /// Replacing in every line: found as find finds it (case and accents ignored) but as a whole word, a capital
    /// kept, speaker and sound tags left alone, notes included, capitals kept; one undo step.
    @Test func replacingEverywhere() {
        let texts = ["[Toast] Toast, toast and TÓAST!", "[Mara] [laugh] No toast here? toasty.", "# toast note",
                     "[Mara] [toast] stays a tag.", "Nothing."]
        var editor = ScriptEditor(lines: texts)
        editor.moveTo(line: 4)
        #expect(ScriptEditor.replaceableOccurrences(of: "toast", in: texts[0]) == [8..<13, 15..<20, 25..<30])
        let done = editor.replaceEverywhere("toast", with: "bread")
        #expect(done.count == 5 && done.lines == 3)
        #expect(editor.lines.map(\.text) == ["[Toast] Bread, bread and BREAD!", "[Mara] [laugh] No bread here? toasty.",
                                             "# bread note", "[Mara] [toast] stays a tag.", "Nothing."])
        #expect(editor.replaceEverywhere("absent", with: "x") == (0, 0))
        editor.undo()
        #expect(editor.lines.map(\.text) == texts)
        // A tag written in place of a stage direction becomes a sound.
        var directions = ScriptEditor(lines: ["[Ann] Ha (laughs) ha."])
        directions.replaceEverywhere("(laughs)", with: "[laugh]")
        #expect(ScriptLine(directions.lines[0].text).spans.map(\.kind) == [.speaker(index: nil), .event])
        // Whole words: a name not inside a longer word; a query ending in punctuation meets what follows it.
        var names = ScriptEditor(lines: ["[Ann] Tom, tomorrow is Tom's; ATOM 2Tom Tom2.", "[Ann] Mr. Smith, mr.x"])
        #expect(names.replaceEverywhere("tom", with: "Tim") == (2, 1))
        #expect(names.lines[0].text == "[Ann] Tim, tomorrow is Tim's; ATOM 2Tom Tom2.")
        #expect(names.replaceEverywhere("mr.", with: "Mister") == (2, 1))
        #expect(names.lines[1].text == "[Ann] Mister Smith, Misterx")
    }
}
