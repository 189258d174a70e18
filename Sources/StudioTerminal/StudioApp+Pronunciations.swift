import Foundation
import Studio

/// `W`: the project's pronunciations, words the voices are to say otherwise than written. Each change is an
/// edit of the header (Ctrl-Z takes it back), and the lines that say the word become out of date, since what
/// the model is given changed; their takes stay, as they were.
extension StudioApp {
    func showPronunciations() throws {
        var row = 0
        while true {
            let entries = header.pronunciations
            var items = entries.map { entry -> (String, String) in
                let lines = linesSaying([entry]).count
                return (entry.word, "said “\(entry.sayAs)” · \(lines == 0 ? "in no line yet" : "in " + counted(lines, "line"))")
            }
            items.append(("new word…", "a word or name the voices misread, and how to spell it so that they say it right"))
            let title = "Pronunciations — l hear · Enter change (empty text removes) · Esc close"
            guard let chosen = try pick(title, items: items, selected: row, onAudition: { row in
                if entries.indices.contains(row) { self.hear(entries[row]) }
            }) else { return }
            row = chosen
            if entries.indices.contains(chosen) {
                try changePronunciation(of: entries[chosen].word)
            } else {
                guard let typed = try prompt("Word or name, as written in the script (lower case finds any case):",
                                             initial: wordAtCursor() ?? "") else { continue }
                let word = typed.trimmingCharacters(in: .whitespaces)
                if let problem = Pronunciation.problem(word: word) {
                    say(problem, .error)
                    continue
                }
                try changePronunciation(of: word)
                row = header.pronunciations.firstIndex { $0.word == word } ?? row
            }
        }
    }

    /// Asks how `word` is said, and records it (an empty answer removes the word).
    private func changePronunciation(of word: String) throws {
        let current = header.pronunciations.entry(for: word)
        guard let typed = try prompt("Say “\(word)” as (spelled as it sounds, e.g. Shiv-awn; empty removes it):",
                                     initial: current?.sayAs ?? word, selected: true) else { return }
        let sayAs = typed.trimmingCharacters(in: .whitespaces)
        var list = header.pronunciations
        if sayAs.isEmpty {
            guard current != nil else { return }
            list.removeAll { $0.word == word }
        } else {
            if let problem = Pronunciation.problem(sayAs: sayAs, word: word) {
                return say(problem, .error)
            }
            if let i = list.firstIndex(where: { $0.word == word }) { list[i].sayAs = sayAs } else {
                list.append(Pronunciation(word: word, sayAs: sayAs))
            }
        }
        guard list != header.pronunciations else { return }
        editor.editHeader { $0.pronunciations = list }
        let saying = linesSaying([Pronunciation(word: word, sayAs: sayAs)]).count
        let lines = saying == 0 ? "no line says it yet" : "\(counted(saying, "line")) to generate again (g, or A for all)"
        say(sayAs.isEmpty ? "“\(word)” is said as written again — \(lines)." : "“\(word)” is said “\(sayAs)” — \(lines).")
    }

    /// Speaks the first line that says the word, respelled as it will be said, in its speaker's voice (the respelling alone, in
    /// the cursor line's speaker's voice, when no line says it yet): the way to hear a spelling before
    /// generating the lines again.
    private func hear(_ entry: Pronunciation) {
        let line = linesSaying([entry]).min()
        let speakerLine = line ?? editor.line
        let s = speakerLine < planner.lineCount ? planner.casting.lineSpeakers[speakerLine] : nil
        let voice = s.flatMap { header.cast.indices.contains($0) ? header.cast[$0].voice : nil } ?? .automatic
        let text = line.map { header.pronunciations.applied(to: ScriptLine(editor.lines[$0].text, cast: header.cast.map(\.name)).spokenText) }
            ?? entry.sayAs
        if audioProblem != nil { return say("Playback is off (the audio device did not open): nothing would be heard.", .warning) }
        queue.audition(voice, library: voices, text: text)
        pendingPlay = .audition(voice, text: text)
        if case .unavailable(let why) = engine.state { return say(why, .warning, seconds: 12) }
        say("Hearing “\(text)”" + (s.flatMap { header.cast.indices.contains($0) ? " in \(header.cast[$0].name)'s voice" : nil } ?? "") + ".")
    }

    /// The script lines (indices) in which a word of `list` is said.
    private func linesSaying(_ list: [Pronunciation]) -> Set<Int> {
        Set(editor.lines.indices.filter { i in
            let line = ScriptLine(editor.lines[i].text)
            return !line.saysNothing && list.occur(in: line.body)
        })
    }

    /// A start for the word: the line's first capitalised word that does not start a sentence (a name, most
    /// likely, which is what voices misread most), else the first capitalised one.
    private func wordAtCursor() -> String? {
        let line = ScriptLine(editor.lines[editor.line].text, cast: header.cast.map(\.name))
        guard !line.saysNothing else { return nil }
        var words: [(word: String, startsSentence: Bool)] = []
        var word = "", startsSentence = true
        for c in line.spokenText + " " {
            if c.isLetter || c.isNumber || (!word.isEmpty && (c == "'" || c == "-")) {
                word.append(c)
                continue
            }
            if !word.isEmpty {
                words.append((word, startsSentence))
                startsSentence = false
                word = ""
            }
            if ".!?".contains(c) { startsSentence = true }
        }
        let capitalised = words.filter { $0.word.first?.isUppercase == true }
        return (capitalised.first { !$0.startsSentence } ?? capitalised.first)?.word
    }
}
