import AudioIO
import Foundation
import Prompt
import Studio

/// The cast panel, the scene panel and the settings dialog.
extension StudioApp {
    // MARK: Cast

    func performCast(_ action: StudioAction) throws {
        let count = header.cast.count
        switch action {
        case .castUp: castIndex = max(0, castIndex - 1)
        case .castDown: castIndex = max(0, min(count - 1, castIndex + 1))
        case .chooseVoice:
            guard count > 0 else { return try addSpeaker() }
            try chooseVoice(for: castIndex)
        case .addSpeaker: try addSpeaker()
        case .renameSpeaker:
            guard count > 0 else { return }
            try renameSpeaker(castIndex)
        case .removeSpeaker:
            guard count > 0 else { return }
            let name = header.cast[castIndex].name
            let lines = editor.lines.filter { ScriptLine($0.text).speaker == .name(name) }.count
            if lines > 0 {
                let question = "\(name) speaks \(counted(lines, "line")). Remove \(name) from the cast anyway? (y)es / (n)o"
                guard try ask(question, choices: ["y", "n"]) == "y" else { return }
            }
            let removed = castIndex
            editor.editHeader { $0.cast.remove(at: removed) }
            castIndex = max(0, min(castIndex, header.cast.count - 1))
            say("Removed \(name); later speakers are now one SPEAKER number lower.")
        case .moveSpeakerUp, .moveSpeakerDown:
            let target = castIndex + (action == .moveSpeakerUp ? -1 : 1)
            guard header.cast.indices.contains(target), header.cast.indices.contains(castIndex) else { return }
            let from = castIndex
            editor.editHeader { $0.cast.swapAt(from, target) }
            castIndex = target
        case .audition:
            guard header.cast.indices.contains(castIndex) else { return }
            let voice = header.cast[castIndex].voice
            // A clip voice's audition plays the clip; with playback off, no other is made (nor the model fetched for it).
            if case .clip = voice {} else if audioProblem == nil { try offerCheckpointFetch() }
            audition(voice)
        case .stop:
            player.stop()
            pendingPlay = nil
        case .stopEditing: focus = .script
        default: break
        }
    }

    /// A line the writer has just left that names someone new: they join the cast with an automatic voice
    /// (the model's choice, as the reference does without a voice), unless the name looks like a typo of a
    /// cast member's.
    func castSpeaker(ofLine id: Int) {
        guard let i = editor.index(of: id) else { return }
        switch UncastSpeaker(in: editor.lines[i].text, cast: header.cast.map(\.name)) {
        case .newcomer(let name)?:
            editor.editHeader { $0.cast.append(CastMember(name: name, voice: .automatic)) }
            say("\(name) joins the cast with an automatic voice; Tab, then Enter, chooses one.", .good)
        case .likelyTypo(let name, let member)?:
            say("'\(name)' is not in the cast: did you mean \(member)? (to cast \(name): Tab, then a)", .warning, seconds: 10)
        case .unusable(_, let problem)?:
            say("Not cast: \(problem).", .warning, seconds: 10)
        case nil:
            break
        }
    }

    private func addSpeaker() throws {
        let names = header.cast.map(\.name)
        guard let raw = try ask("New speaker's name:", initial: "", refusing: { name in
            name.isEmpty ? nil : Self.castNameProblem(name, beside: names)
        }) else { return }
        let name = raw.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { return }
        editor.editHeader { $0.cast.append(CastMember(name: name, voice: .automatic)) }
        castIndex = header.cast.count - 1
        try chooseVoice(for: castIndex)
    }

    private func renameSpeaker(_ i: Int) throws {
        let old = header.cast[i].name
        // Another speaker only: Theo may become THEO or Théo.
        let others = header.cast.indices.filter { $0 != i }.map { header.cast[$0].name }
        guard let raw = try ask("Rename \(old) to:", initial: old, refusing: { name in
            name.isEmpty || name == old ? nil : Self.castNameProblem(name, beside: others)
        }) else { return }
        let name = raw.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name != old else { return }
        let names = header.cast.map(\.name)
        editor.editHeader({ $0.cast[i].name = name }, lines: { text in
            let line = ScriptLine(text, cast: names)
            guard line.speaker == .name(old), let span = line.spans.first else { return text }
            var chars = Array(text)
            chars.replaceSubrange(span.range, with: Array("[\(name)]"))
            return String(chars)
        })
        say("Renamed \(old) to \(name) in the cast and the script.")
    }

    /// Why `name` cannot join a cast of `names`: not a name a cast may have, or one of theirs in other capitals or accents.
    private static func castNameProblem(_ name: String, beside names: [String]) -> String? {
        if let problem = CastNames.problem(with: name) { return problem }
        guard let other = CastNames.lookAlike(of: name, among: names) else { return nil }
        return other == name ? "\(name) is already in the cast." : "\(other) is already in the cast: \(name) beside \(other) would read as one speaker."
    }

    // MARK: Scene

    /// Rows of the scene list: none, every scene of Scenes/, your own text.
    var sceneRows: [(label: String, choice: SceneChoice?)] {
        [("(no scene)", SceneChoice.none)] + scenes.scenes.map { ($0.name, SceneChoice.named($0.name)) } + [("(your own text…)", nil)]
    }

    func performScene(_ action: StudioAction) throws {
        let rows = sceneRows
        switch action {
        case .sceneUp: sceneIndex = max(0, sceneIndex - 1)
        case .sceneDown: sceneIndex = min(rows.count - 1, sceneIndex + 1)
        case .chooseScene:
            guard rows.indices.contains(sceneIndex) else { return }
            if let choice = rows[sceneIndex].choice {
                editor.editHeader { $0.scene = choice }
                say(choice == .none ? "No scene description." : "Scene: \(rows[sceneIndex].label).")
            } else {
                try editSceneText()
            }
        case .editSceneText: try editSceneText()
        case .stopEditing: focus = .script
        default: break
        }
    }

    private func editSceneText() throws {
        // The text as it is, to edit, even one the planner refuses (a control token in it is what to take out).
        let current: String?
        switch header.scene {
        case .none: current = nil
        case .inline(let text): current = text
        case .named(let name): current = scenes.scene(named: name)?.text
        }
        guard let text = try askPromptText("Scene description (where and how the audio is recorded):", initial: current ?? "",
                                           what: "the scene description") else { return }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        editor.editHeader { $0.scene = trimmed.isEmpty ? .none : .inline(trimmed) }
        sceneIndex = trimmed.isEmpty ? 0 : sceneRows.count - 1
    }

    // MARK: Settings

    func showSettings() throws {
        var row = 0
        let keys = ProjectFormat.settingKeys
        while true {
            let values = ProjectFormat.settingValues(header.settings)
            let lines = keys.indices.map { i in (values[i].0, values[i].1, keys[i].accepts) }
            drawSettings(lines, selected: row, kept: header.unknownSettings)
            guard case .key(let key) = try nextEvent() else { continue }
            switch key {
            case .up, .char("k"): row = max(0, row - 1)
            case .down, .char("j"): row = min(keys.count - 1, row + 1)
            case .home: row = 0
            case .end: row = keys.count - 1
            case .left, .right, .char("-"), .char("+"), .char("h"), .char("l"):
                let up = ![Key.left, .char("-"), .char("h")].contains(key)
                let k = keys[row].key
                var s = header.settings
                if (try? ProjectFormat.applySetting(k, ProjectFormat.step(k, from: values[row].1, up: up), to: &s)) != nil {
                    editor.editHeader { $0.settings = s }
                }
            case .enter:
                let k = keys[row].key
                // A value that does not read is asked for again, as typed.
                var s = header.settings
                if try ask("\(k) (\(keys[row].accepts)):", initial: values[row].1, refusing: { text in
                    do { try ProjectFormat.applySetting(k, text, to: &s) } catch { return "\(error)" }
                    return nil
                }) != nil {
                    editor.editHeader { $0.settings = s }
                    message = nil  // an earlier value's error is answered
                }
            case .escape, .char("q"), .char(","): return
            case .function(1), .char("?"): try showHelp()
            case .ctrl("c"), .ctrl("q"): return
            default: break
            }
        }
    }
}
