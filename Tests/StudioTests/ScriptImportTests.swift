import Foundation
import Prompt
import Studio
import Testing

@Suite struct ScriptImportTests {
    @Test func aScreenplayBecomesTurnsWithANarrator() {
        let project = ScriptImport.project(from: """
            Title: The Small Hours
            Author: Somebody

            # Act One

            = Mara opens the show.

            INT. RADIO STUDIO - NIGHT

            A red ON AIR light. MARA leans in.

            MARA
            Good evening,
            (softly)
            night owls.

            THEO (V.O.)
            Mine was toast.

            @McCoy
            Toast is a canvas!

            BRIDGET O'NEIL ^
            Voilà.

            CUT TO:

            EXT. STREET - LATER

            > THE END <
            """)
        #expect(project.cast.map(\.name) == ["Narrator", "Mara", "Theo", "McCoy", "Bridget O'Neil"])
        #expect(project.cast.allSatisfy { $0.voice == .automatic })
        #expect(project.script == [
            "# Act One", "", "# Mara opens the show.", "", "# INT. RADIO STUDIO - NIGHT", "",
            "[Narrator] A red ON AIR light. MARA leans in.", "",
            "[Mara] Good evening, night owls.", "",
            "[Theo] Mine was toast.", "",
            "[McCoy] Toast is a canvas!", "",
            "[Bridget O'Neil] Voilà.", "",
            "# EXT. STREET - LATER",
        ])
    }

    @Test func aTranscriptBecomesTurnsAndProseStaysProse() {
        let project = ScriptImport.project(from: """
            Note: recorded live.

            Alice: Hi Bob!
            Bob: Hello Alice. [laugh]
            Carol: Sorry I'm late.
            Bob: No worries.
            Alice: Right.
            a line of narration
            [Dana] Already tagged.
            [SPEAKER3] A prompt tag.
            老王：你好。
            """)
        #expect(project.cast.map(\.name) == ["Alice", "Bob", "Carol", "Dana"])
        #expect(project.script == [
            "Note: recorded live.", "",
            "[Alice] Hi Bob!", "[Bob] Hello Alice. [laugh]", "[Carol] Sorry I'm late.", "[Bob] No worries.", "[Alice] Right.",
            "a line of narration", "[Dana] Already tagged.", "[SPEAKER3] A prompt tag.", "老王：你好。",
        ])
        // Two turns each, full-width colons too; one `Chapter 1:` in prose is no turn: a chapter heading (pass 9, 6).
        let chinese = ScriptImport.project(from: "老王：你好。\n小李：你好！\n老王：再见。\n小李：再见。")
        #expect(chinese.cast.map(\.name) == ["老王", "小李"] && chinese.script[0] == "[老王] 你好。")
        let prose = ScriptImport.project(from: "Chapter 1: The Beginning\n\nIt was night. Time: late.")
        #expect(prose.cast.isEmpty && prose.script == ["# chapter: Chapter 1: The Beginning", "", "It was night. Time: late."])
        // A short exchange, nothing but turns: someone speaking once is a turn too; a lone `Name:` line is not.
        let exchange = ScriptImport.project(from: "Ann: Hello.\nBob: Hi Ann!\n\nAnn: Shall we?\n[Cy] Yes.")
        #expect(exchange.cast.map(\.name) == ["Ann", "Bob", "Cy"])
        #expect(exchange.script == ["[Ann] Hello.", "[Bob] Hi Ann!", "", "[Ann] Shall we?", "[Cy] Yes."])
        #expect(ScriptImport.project(from: "Ann: Hello.\nBob: Hi.").script == ["[Ann] Hello.", "[Bob] Hi."])
        #expect(ScriptImport.project(from: "Note: recorded live.").script == ["Note: recorded live."])
        #expect(ScriptImport.project(from: "Note: recorded live.\nTime: late.\nIt rained.").cast.isEmpty)
    }

    /// `MARA:` labels a speaker as scripts do: in a file of turns in most lines, or on a line of its own, it is
    /// a turn even said once, the name in title case as a screenplay's or subtitles' are.
    @Test func namesInCapitalsAreTurnsEvenSaidOnce() {
        let site = ScriptImport.read("MARA: Meet soon.\nTHEO: OK.\nhttp://example.com is the site.\n")
        #expect(site.project.cast.map(\.name) == ["Mara", "Theo"])
        #expect(site.project.script == ["[Mara] Meet soon.", "[Theo] OK.", "http://example.com is the site."])
        #expect(site.remarks.isEmpty)
        let alone = ScriptImport.project(from: "MARA: Hello.")
        #expect(alone.cast.map(\.name) == ["Mara"] && alone.script == ["[Mara] Hello."])
        // However the file writes her name, she is one speaker.
        let both = ScriptImport.project(from: "MARA: Hi.\nMara: Again.\nTheo: Hello.")
        #expect(both.cast.map(\.name) == ["Mara", "Theo"] && both.script == ["[Mara] Hi.", "[Mara] Again.", "[Theo] Hello."])
        // In prose, capitals said once stay prose, and so does `Note:` on a line of its own.
        let prose = ScriptImport.read("WARNING: wet paint.\nIt rained all day.\nWe stayed in.")
        #expect(prose.project.cast.isEmpty && prose.project.script[0] == "WARNING: wet paint." && prose.remarks.isEmpty)
        #expect(ScriptImport.project(from: "Note: this is a draft.").cast.isEmpty)
    }

    /// A book's chapter headings, in Markdown or on lines of their own, become `# chapter:` notes (a file each in the
    /// export), in title case; a sentence that starts with one of their words stays text (explore pass 9, 6: the
    /// headings were silent notes, or read aloud by the speaker before them).
    @Test func aBooksChapterHeadingsBecomeChapters() {
        let book = ScriptImport.read("""
            # The Lighthouse
            ## Chapter 1: The Arrival
            The boat came in late.
            CHAPTER TWO
            Chapter 3 was where it all went wrong.
            Chapter 12 — The Sea
            Part of me wanted to stay.
            PART II
            Prologue was a word she liked.
            Epilogue
            # chapter: Already One
            """)
        #expect(book.project.script == [
            "# The Lighthouse", "# chapter: Chapter 1: The Arrival", "The boat came in late.", "# chapter: Chapter Two",
            "Chapter 3 was where it all went wrong.", "# chapter: Chapter 12 — The Sea", "Part of me wanted to stay.", "# chapter: Part II",
            "Prologue was a word she liked.", "# chapter: Epilogue", "# chapter: Already One"])
        #expect(ScriptImport.read("HENRY VIII: Hello.\nLIV: Hi.\nHENRY VIII: Bye.").project.cast.map(\.name) == ["Henry VIII", "Liv"])
    }

    /// Speakers' labels in capitals in a file mostly of prose (a novel's few exchanges) stay text, as prose's `NOTE:`
    /// would, but are said with their lines (explore pass 9, 5: they were dropped without a word); a name in capitals
    /// keeps the capitals after a hyphen or an apostrophe (9, 14: `Jean-luc`, `O'brien`).
    @Test func labelsInCapitalsInProseAreSaid() {
        let novel = ScriptImport.read("MARA: Did you hear that?\nTHEO: Hear what?\nShe said nothing.\nAnd more prose.\nThe sea was calm.")
        #expect(novel.project.cast.isEmpty && novel.project.script[0] == "MARA: Did you hear that?")
        #expect(novel.remarks == [
            .init(line: 1, message: "left as text: 'MARA:' is in capitals, as a speaker's label, but most lines are not turns (write [Mara] to make it a turn)"),
            .init(line: 2, message: "left as text: 'THEO:' is in capitals, as a speaker's label, but most lines are not turns (write [Theo] to make it a turn)")])
        let names = ScriptImport.read("JEAN-LUC: Hello.\nO'BRIEN: Hi.\nD'ARTAGNAN: En garde.\nJOHN'S BOY: Me too.")
        #expect(names.project.cast.map(\.name) == ["Jean-Luc", "O'Brien", "D'Artagnan", "John's Boy"])
    }

    /// Someone who speaks once in a conversation is cast whether or not a line without a name stands in it; a
    /// `Name:` line a transcript leaves as text is said, with its line.
    @Test func someoneWhoSpeaksOnceIsCastBesideALineWithoutAName() {
        let exchange = ScriptImport.read("Mara: Hello.\nTheo: Hi Mara.\nMara: How are you?")
        let unnamed = ScriptImport.read("Mara: Hello.\nTheo: Hi Mara.\nThis line has no name.\nMara: How are you?")
        #expect(exchange.project.cast.map(\.name) == ["Mara", "Theo"] && unnamed.project.cast == exchange.project.cast)
        #expect(unnamed.project.script == ["[Mara] Hello.", "[Theo] Hi Mara.", "This line has no name.", "[Mara] How are you?"])
        #expect(unnamed.remarks.isEmpty && exchange.remarks.isEmpty)

        // Away from the turns, a name used once stays text, and the import says so.
        let away = ScriptImport.read("Mara: Hello.\nTheo: Hi Mara.\nThis line has no name.\nMara: How are you?\n\nNote: bring milk.")
        #expect(away.project.cast.map(\.name) == ["Mara", "Theo"] && away.project.script.last == "Note: bring milk.")
        #expect(away.remarks == [.init(line: 6, message: "left as text: 'Note:' is used once, not next to a turn of a name used twice "
                                       + "(write [Note] to make it a turn)")])
        // Next to a regular's turn in a file mostly of prose: text, said.
        let monologue = ScriptImport.read("Mara: Hello.\nMara: Again.\nNote: bring milk.\nIt rained.\nWe stayed in.\nThe end.")
        #expect(monologue.project.cast.map(\.name) == ["Mara"] && monologue.project.script[2] == "Note: bring milk.")
        #expect(monologue.remarks == [.init(line: 3, message: "left as text: 'Note:' is used once, and most lines are not turns "
                                            + "(write [Note] to make it a turn)")])
        // Prose with colons and no turns: prose, nothing to say.
        let prose = ScriptImport.read("Note: bring milk.\nIt rained all day.\nTime: late.")
        #expect(prose.project.cast.isEmpty && prose.remarks.isEmpty)
    }

    /// Subtitles are a dub's script: the cues' words after their times (`# at:` notes), speakers from `Name:`
    /// or WebVTT voices, two-speaker cues split; numbers, settings and markup gone.
    @Test func subtitlesBecomeTheirSpeeches() {
        let srt = ScriptImport.project(from: """
            1
            00:00:01,000 --> 00:00:03,000
            MARA: Good evening,
            and <i>welcome</i>.

            2
            00:00:03,500 --> 00:00:05,000
            THEO: Evening!

            3
            00:00:05,500 --> 00:00:07,000
            - Toast?
            - {\\an8}Always toast.

            4
            00:00:07,500 --> 00:00:09,000
            MARA: Of course.
            """)
        #expect(srt.script == ["# at: 00:00:01.000 --> 00:00:03.000", "[Mara] Good evening, and welcome.",
                               "# at: 00:00:03.500 --> 00:00:05.000", "[Theo] Evening!",
                               "# at: 00:00:05.500 --> 00:00:07.000", "Toast?", "Always toast.",
                               "# at: 00:00:07.500 --> 00:00:09.000", "[Mara] Of course."])
        #expect(srt.cast.map(\.name) == ["Mara", "Theo"] && srt.settings.fitCues == 10)

        let vtt = ScriptImport.project(from: """
            WEBVTT

            NOTE made by hand

            intro
            00:01.000 --> 00:03.000 align:start
            <v Mara>Good evening.</v>

            00:03.500 --> 00:05.000
            <v.loud Theo>Evening!
            Lovely night.
            """)
        #expect(vtt.script == ["# at: 00:00:01.000 --> 00:00:03.000", "[Mara] Good evening.",
                               "# at: 00:00:03.500 --> 00:00:05.000", "[Theo] Evening! Lovely night."])
        #expect(vtt.cast.map(\.name) == ["Mara", "Theo"])
        // A text that only mentions a time is not subtitles.
        let prose = ScriptImport.project(from: "Meet at\n10:00 --> 11:00 maybe")
        #expect(prose.script == ["Meet at", "10:00 --> 11:00 maybe"] && prose.settings.fitCues == nil)
    }

    /// A cue of two speakers named in capitals is two turns; one whose `- ` speakers have no names is said to
    /// need them (once for all such cues); cues out of time order are put in it, and said (a cue without a time
    /// stays after the cue above it).
    @Test func aCuesSpeakersAndOrderAreKept() {
        let srt = ScriptImport.read("""
            1
            00:00:01,000 --> 00:00:03,000
            MARA: Where are you going?
            THEO: Home.
            Tonight: early.

            2
            00:00:04,000 --> 00:00:05,000
            - Now?
            - Yes, now.

            4
            00:00:09,000 --> 00:00:10,000
            MARA: Late one.

            3
            00:00:06,000 --> 00:00:07,000
            THEO: Early one.

            5
            garbage --> nonsense
            - After it.
            - And another.
            """)
        #expect(srt.project.script == ["# at: 00:00:01.000 --> 00:00:03.000", "[Mara] Where are you going?", "[Theo] Home. Tonight: early.",
                                       "# at: 00:00:04.000 --> 00:00:05.000", "Now?", "Yes, now.",
                                       "# at: 00:00:06.000 --> 00:00:07.000", "[Theo] Early one.", "After it.", "And another.",
                                       "# at: 00:00:09.000 --> 00:00:10.000", "[Mara] Late one."])
        #expect(srt.remarks == [
            .init(line: 8, message: "cue 2 and 1 other cue have speakers ('- ') without names: a speech after the first in a cue is said "
                  + "by the speaker before it; give each its [Name]"),
            .init(line: 17, message: "cue 3 (00:00:06.000) starts before cue 4 (00:00:09.000) above it; it is put before it, in time order"),
            .init(line: 21, message: "cue 5's timing 'garbage --> nonsense' does not read; its text is kept without a time"),
        ])
        #expect(ScriptImport.read("1\n00:00:01,000 --> 00:00:02,000\n- Hi.\n- MARA: Hello.\n").remarks.isEmpty)
    }

    /// A cue whose timing does not read loses no words: its text is kept (at its start when only that reads,
    /// else without a time) and a remark names the cue and its line in the file.
    @Test func cuesThatDoNotReadKeepTheirTextAndAreSaid() {
        let srt = ScriptImport.read("""
            1
            00:00:01,000 --> 00:00:02,000
            MARA: Hello.

            2
            00:00:02,500 --> 00:00:04,000
            THEO: Hi.

            3
            00:00:05,000 --> 00:00:04,000
            Backwards in time.

            4
            garbage --> nonsense
            Text after garbage.

            5
            No timing here.
            """)
        #expect(srt.project.script == ["# at: 00:00:01.000 --> 00:00:02.000", "[Mara] Hello.",
                                       "# at: 00:00:02.500 --> 00:00:04.000", "[Theo] Hi.",
                                       "# at: 00:00:05.000", "Backwards in time.", "Text after garbage.", "No timing here."])
        #expect(srt.remarks == [
            .init(line: 10, message: "cue 3's end 00:00:04,000 comes before its start 00:00:05,000; it is placed at its start, without an end"),
            .init(line: 14, message: "cue 4's timing 'garbage --> nonsense' does not read; its text is kept without a time"),
            .init(line: 17, message: "cue 5 has no timing line (`00:00:01,000 --> 00:00:02,000`); its text is kept without a time"),
        ])
        #expect(srt.cues?.count == 5 && srt.cues?.placed == 3)

        // WebVTT the same way; its header and comments are not cues.
        let vtt = ScriptImport.read("""
            WEBVTT

            00:01.000 --> 00:02.000
            <v Mara>Hello.

            00:03.000 --> 00:02.500 align:start
            <v Theo>Backwards.

            garbage --> nonsense
            <v Theo>After garbage.

            NOTE a comment is not said
            """)
        #expect(vtt.project.script == ["# at: 00:00:01.000 --> 00:00:02.000", "[Mara] Hello.",
                                       "# at: 00:00:03.000", "[Theo] Backwards.", "[Theo] After garbage."])
        #expect(vtt.remarks == [
            .init(line: 6, message: "cue 2's end 00:02.500 comes before its start 00:03.000; it is placed at its start, without an end"),
            .init(line: 9, message: "cue 3's timing 'garbage --> nonsense' does not read; its text is kept without a time"),
        ])
        #expect(vtt.cues?.count == 3 && vtt.cues?.placed == 2)
        // Subtitles that read have nothing to say.
        #expect(ScriptImport.read("1\n00:00:01,000 --> 00:00:02,000\nHi.\n").remarks.isEmpty)
    }

    /// Fountain's text for the writer alone is never spoken: notes (`[[...]]`) become notes of the script, after
    /// the line they stood in; boneyard (`/* ... */`, text put aside) and page breaks are left out; a forced
    /// action's `!` goes.
    @Test func aScreenplaysNotesAndBoneyardAreNotSpoken() {
        let imported = ScriptImport.read("""
            MARA
            Hello [[inline note]] there.

            /* boneyard
            hidden text */

            [[a note]]

            !SHOUTS

            THEO [[tired]]
            Fine. /* cut */ Really.
            [[a note that runs
            over two lines]]

            ===

            Rain. [[check the sound]]
            """)
        #expect(imported.project.cast.map(\.name) == ["Mara", "Narrator", "Theo"])
        #expect(imported.project.script == [
            "[Mara] Hello there.", "# inline note", "",
            "# a note", "",
            "[Narrator] SHOUTS", "",
            "[Theo] Fine. Really.", "# tired", "# a note that runs over two lines", "",
            "[Narrator] Rain.", "# check the sound",
        ])
        #expect(imported.remarks.isEmpty)
        // A character in the boneyard is not one; a boneyard left open runs to the end, as Fountain reads it, and is said.
        #expect(ScriptImport.project(from: "/* an old scene\nTHEO\nBye. */\n\nMARA\nHello.").script == ["[Mara] Hello."])
        let open = ScriptImport.read("MARA\nHello.\n\n/* cut from here\n\nTHEO\nGone.")
        #expect(open.project.script == ["[Mara] Hello."])
        #expect(open.remarks == [.init(line: 4, message: "'/*' opens a boneyard that no '*/' closes: the rest of the script is left out")])
        // Outside a screenplay, the same marks are the writer's text.
        #expect(ScriptImport.project(from: "Ann: See /* this */ and [[that]].\nBob: OK.").script[0] == "[Ann] See /* this */ and [[that]].")
    }

    @Test func theProjectPrintsAndParsesBack() throws {
        let project = ScriptImport.project(from: "\n\nMARA\nHi.\n\n\n\nTHEO\nHello.\n\n")
        #expect(project.script == ["[Mara] Hi.", "", "[Theo] Hello."])
        #expect(try ProjectFormat.parse(ProjectFormat.print(project), file: "x.higgs") == project)
    }
}
