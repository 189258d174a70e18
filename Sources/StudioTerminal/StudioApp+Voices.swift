import AudioIO
import Foundation
import Prompt
import Studio

/// Voices: choosing a speaker's, auditioning one, and making new ones in the voice folder (a clip from a
/// WAV file or from a take, a written description), each cast at once (Ctrl-Z takes the casting back; the
/// voice stays in the folder).
extension StudioApp {
    func chooseVoice(for i: Int) throws {
        let slots = voices.slots
        var items = slots.map { slot -> (String, String) in
            switch slot {
            case .automatic: return ("auto", "the model chooses a voice")
            case .profile(let name): return ("profile:\(name)", voices.profile(named: name)?.description ?? "")
            case .clip(let name): return (name, "clip: " + ((try? voices.clipTranscript(name)) ?? ""))
            }
        }
        items.append(("new clip…", "a voice from a WAV file of someone speaking (copied into \(voices.folder.path))"))
        items.append(("new profile…", "a voice you describe in words (added to profile.yaml)"))
        let current = slots.firstIndex(of: header.cast[i].voice) ?? 0
        let title = "Voice for \(header.cast[i].name) — Enter choose · l audition · Esc cancel"
        guard let chosen = try pick(title, items: items, selected: current, onAudition: { row in
            if slots.indices.contains(row) { self.audition(slots[row]) }
        }) else { return }
        switch chosen - slots.count {
        case 0: try makeClipVoice(for: i)
        case 1: try makeProfileVoice(for: i)
        default: cast(i, as: slots[chosen])
        }
    }

    /// Plays a clip voice; speaks the audition sentence with any other voice.
    func audition(_ voice: VoiceSlot) {
        if case .clip(let name) = voice {
            do {
                let audio = try WAVFile.read(voices.clipAudio(name))
                start(AudioStream(finished: audio.samples), kind: .audition(name), sampleRate: audio.sampleRate)
                say("Playing the clip \(name).wav (\(String(format: "%.1f", audio.duration)) s).")
            } catch {
                say("\(error)", .error)
            }
            return
        }
        queue.audition(voice, library: voices)
        pendingPlay = .audition(voice)
        if case .unavailable(let why) = engine.state { say(why, .warning, seconds: 12) } else {
            say("Auditioning \(voice): “\(GenerationQueue.auditionSentence)”")
        }
    }

    /// `V` in the script: the line's take (a voice the writer liked, often an automatic one) becomes a clip
    /// voice, and the line's speaker speaks with it from now on.
    func keepTakeAsVoice() throws {
        let i = editor.line
        guard let plan = plan(i), let take = plan.take else { return say("This line has no take to keep as a voice.", .warning) }
        guard let s = planner.casting.lineSpeakers[i], header.cast.indices.contains(s) else {
            return say("This line's speaker is not in the cast; cast them first (Tab, a).", .warning)
        }
        let speaker = header.cast[s].name
        let spoken = ScriptLine(editor.lines[i].text, cast: header.cast.map(\.name)).body
        guard let transcript = try prompt("What is said in the take (the clip's transcript):", initial: spoken),
              let name = try prompt("Name of the voice (\(voices.folder.lastPathComponent)/NAME.wav):",
                                    initial: voices.freeClipName(from: speaker)) else { return }
        addClip(name.trimmingCharacters(in: .whitespaces), from: takes.audioURL(take.key), transcript: transcript, castAs: s)
    }

    private func makeClipVoice(for i: Int) throws {
        let speaker = header.cast[i].name
        guard let path = try prompt("WAV file of \(speaker)'s voice (5-20 s of one person speaking, no music):", initial: "") else { return }
        let trimmed = path.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return }
        let source = URL(fileURLWithPath: NSString(string: trimmed).expandingTildeInPath)
        // The file is checked before the writer types its transcript.
        do {
            _ = try WAVFile.read(source)
        } catch {
            return say("\(error)", .error)
        }
        // A transcript beside the clip (the reference's voice folders keep one) is offered.
        let beside = try? String(contentsOf: source.deletingPathExtension().appendingPathExtension("txt"), encoding: .utf8)
        guard let transcript = try prompt("What is said in the clip (its transcript):",
                                          initial: beside.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""),
              let name = try prompt("Name of the voice (\(voices.folder.lastPathComponent)/NAME.wav):",
                                    initial: voices.freeClipName(from: source.deletingPathExtension().lastPathComponent)) else { return }
        addClip(name.trimmingCharacters(in: .whitespaces), from: source, transcript: transcript, castAs: i)
    }

    private func makeProfileVoice(for i: Int) throws {
        let speaker = header.cast[i].name
        guard let description = try prompt("How \(speaker) sounds (gender, age, accent, pitch, pace, tone; “very clear audio”):", initial: ""),
              !description.trimmingCharacters(in: .whitespaces).isEmpty,
              let raw = try prompt("Name of the profile (profile:NAME):", initial: voices.freeProfileName(from: speaker)) else { return }
        let name = raw.trimmingCharacters(in: .whitespaces)
        do {
            try voices.addProfile(named: name, description: description)
        } catch {
            return say("\(error)", .error)
        }
        reloadLibraries()
        cast(i, as: .profile(name))
    }

    private func addClip(_ name: String, from source: URL, transcript: String, castAs i: Int) {
        let seconds: Double
        do {
            seconds = try voices.addClip(named: name, audio: source, transcript: transcript)
        } catch {
            return say("\(error)", .error)
        }
        reloadLibraries()
        cast(i, as: .clip(name))
        if seconds > 30 {
            say("\(header.cast[i].name) speaks with the clip \(name) (\(Int(seconds)) s): clips over 30 s make every prompt long; 5 to 20 s is plenty.",
                .warning, seconds: 10)
        }
    }

    private func cast(_ i: Int, as voice: VoiceSlot) {
        editor.editHeader { $0.cast[i].voice = voice }
        say("\(header.cast[i].name) speaks with \(voice).")
    }

    /// Voices/ and Scenes/ read again (after a change there, ours or the writer's).
    func reloadLibraries() {
        voices = VoiceLibrary(folder: options.voicesFolder)
        scenes = SceneLibrary(folder: options.scenesFolder)
        inputsRevision += 1
    }
}
