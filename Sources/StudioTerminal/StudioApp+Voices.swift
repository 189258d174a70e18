import AudioIO
import Foundation
import Playback
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
            case .clip(let name):
                // Read through, as `higgs voices list` does: a clip that would fail (audio that does not read, no
                // sound, too long) or serve poorly says why, before it is cast.
                let check = voices.check(clip: name)
                let length = check.seconds.map { String(format: " %.1f s", $0) } ?? ""
                if let problem = check.problems.first { return ("! " + name, "clip\(length): " + problem) }
                return (name, "clip\(length): " + check.transcript)
            }
        }
        items.append(("new clip…", "a voice from a WAV or MP3 file of someone speaking (copied into \(voices.folder.path))"))
        items.append(("record a clip…", "a voice recorded now from the microphone, reading a passage aloud"))
        items.append(("new profile…", "a voice you describe in words (added to profile.yaml)"))
        let current = slots.firstIndex(of: header.cast[i].voice) ?? 0
        let title = "Voice for \(header.cast[i].name) — Enter choose · l audition · Esc cancel"
        guard let chosen = try pick(title, items: items, selected: current, onAudition: { row in
            if slots.indices.contains(row) { self.audition(slots[row]) }
        }) else { return }
        switch chosen - slots.count {
        case 0: try makeClipVoice(for: i)
        case 1: try recordClipVoice(for: i)
        case 2: try makeProfileVoice(for: i)
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
        // Made only to be heard: with playback off it would be minutes of both cores for nobody.
        if audioProblem != nil { return say("Playback is off (the audio device did not open): an audition would be heard by nobody.", .warning) }
        queue.audition(voice, library: voices)
        pendingPlay = .audition(voice, text: GenerationQueue.auditionSentence)
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
        // Without event tags: a clip's transcript goes to the model as written (the reference's way), so a
        // `[laugh]` there would be words, not the laugh that is in the audio.
        // Respelled as the line was said, so that the transcript matches the audio.
        let spoken = header.pronunciations.applied(to: ScriptLine(editor.lines[i].text, cast: header.cast.map(\.name)).spokenText)
        guard let transcript = try askPromptText("What is said in the take (the clip's transcript):", initial: spoken, what: "the transcript"),
              let name = try askClipName(initial: voices.freeClipName(from: speaker)) else { return }
        // As the export hears it: the model's silence around the words cut (a clip's lead-in becomes every prompt's),
        // in 16-bit PCM as a recorded clip is, which any tool reads.
        let samples = TakeTrim.apply(try takes.samples(take.key), sound: take.sound)
        let added = addClip(name, castAs: s) {
            try self.voices.addClip(named: $0, recording: samples, sampleRate: AudioFormat.sampleRate, transcript: transcript)
        }
        if added && !plan.isCurrent {
            say("\(header.cast[s].name) speaks with \(name), made from the line's take, which is out of date.", .warning, seconds: 6)
        }
    }

    private func makeClipVoice(for i: Int) throws {
        let speaker = header.cast[i].name
        func file(_ path: String) -> URL { URL(fileURLWithPath: NSString(string: path).expandingTildeInPath) }
        // The file is checked before the writer types its transcript; one that does not serve is asked for again, as typed.
        guard let path = try ask("WAV or MP3 file of \(speaker)'s voice (5-20 s of one person speaking, no music):", initial: "", paths: true,
                                 refusing: { path in
                                     guard !path.isEmpty else { return nil }
                                     do { _ = try AudioFile.read(file(path)) } catch { return "\(error)" }
                                     return nil
                                 }) else { return }
        let trimmed = path.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return }
        let source = file(trimmed)
        // A transcript beside the clip (the reference's voice folders keep one) is offered.
        let beside = try? String(contentsOf: source.deletingPathExtension().appendingPathExtension("txt"), encoding: .utf8)
        guard let transcript = try askPromptText("What is said in the clip (its transcript):",
                                                 initial: beside.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? "",
                                                 what: "the transcript"),
              let name = try askClipName(initial: voices.freeClipName(from: source.deletingPathExtension().lastPathComponent)) else { return }
        addClip(name, castAs: i) { try self.voices.addClip(named: $0, audio: source, transcript: transcript) }
    }

    /// What a writer reads aloud to record a voice: a quarter of a minute of ordinary speech with most of
    /// English's sounds, and its transcript when it is read as written.
    static let readingPassage = "Hello! I'm recording this so the studio can learn how I sound. On a quiet evening by the "
        + "harbour, I like to watch the fishing boats come in, count the noisy gulls, and wonder what to cook for supper: "
        + "a warm soup, fresh bread, and maybe something sweet to finish. Just a moment of peace."

    /// Records the writer reading `readingPassage` (up to 30 s), lets them listen and record again, and keeps
    /// the recording as a clip voice.
    private func recordClipVoice(for i: Int) throws {
        let speaker = header.cast[i].name
        let device = options.recordDevice ?? options.audioDevice
        player.stop()
        pendingPlay = nil
        var recorder: AudioRecorder?
        defer { _ = recorder?.stop() }
        var recording: [Float]?
        var note: (text: String, style: Style)?
        func finish(_ r: AudioRecorder) {
            let whole = r.stop()
            recorder = nil
            if let failure = r.currentStatus.failure { note = ("\(failure)", .error) }
            let peak = whole.reduce(0) { max($0, abs($1)) }
            // The room before the first word and after the last is left out.
            let samples = Array(whole[Silence.soundingRange(whole, sampleRate: r.sampleRate)])
            if peak < 0.01 {
                // ALSA's null device gives silence at once: no microphone is behind it.
                note = device == "null"
                    ? ("The recording is silent: the device is null, which records nothing (--record-device names a microphone).", .warning)
                    : ("The recording is silent: is the microphone on and not muted? (r records again)", .warning)
            } else if Double(samples.count) < Double(r.sampleRate) {
                note = ("Under a second of sound: r records again.", .warning)
            } else {
                recording = samples
                let trimmed = Double(whole.count - samples.count) / Double(r.sampleRate)
                if peak >= 0.99 {
                    note = ("It clipped (too loud): sit further from the microphone or lower its level, then r.", .warning)
                } else if trimmed >= 0.3 {
                    note = (String(format: "%.1f s of silence around it left out.", trimmed), .dim)
                }
            }
        }
        while true {
            drawRecording(speaker: speaker, recorder: recorder?.currentStatus, recorded: recording, note: note)
            let event = try nextEvent()
            if let r = recorder, r.currentStatus.ended { finish(r) }
            guard case .key(let key) = event else { continue }
            switch key {
            case .enter where recorder != nil:
                finish(recorder!)
            case .enter where recording != nil:
                guard let transcript = try askPromptText("What you read (the clip's transcript):", initial: Self.readingPassage, what: "the transcript"),
                      let name = try askClipName(initial: voices.freeClipName(from: speaker)) else { continue }
                let samples = recording!
                addClip(name, castAs: i) { try self.voices.addClip(named: $0, recording: samples, sampleRate: AudioFormat.sampleRate, transcript: transcript) }
                return
            case .enter, .char("r"):
                guard recorder == nil else { continue }
                player.stop()
                recording = nil
                note = nil
                do {
                    recorder = try AudioRecorder(device: device, configuration: options.audioConfiguration,
                                                 sampleRate: AudioFormat.sampleRate, maximumSeconds: 30)
                } catch {
                    note = ("\(error)", .error)
                }
            case .char("l"), .char(" "):
                if recorder == nil, let recording {
                    start(AudioStream(finished: recording), kind: .audition("recording"), sampleRate: AudioFormat.sampleRate)
                }
            case .char("s"): player.stop()
            case .escape, .ctrl("c"):
                player.stop()
                return
            default: break
            }
        }
    }

    private func drawRecording(speaker: String, recorder: AudioRecorder.Status?, recorded: [Float]?, note: (text: String, style: Style)?) {
        drawMain()
        let width = min(84, terminal.width - 2)
        let passage = wrap(Self.readingPassage, width: width - 6)
        let inner = drawBox(height: passage.count + 9, width: width, title: "Record a voice for \(speaker)")
        terminal.put(inner.y, inner.x, "Read this aloud, at your own pace, close to the microphone:", .dim)
        for (n, line) in passage.enumerated() { terminal.put(inner.y + 2 + n, inner.x + 1, line, .bold) }
        let y = inner.y + passage.count + 3
        let rate = Double(AudioFormat.sampleRate)
        if let status = recorder {
            // The peak in decibels over 48 dB, as a bar.
            let db = 20 * log10(Double(max(status.level, 1e-5)))
            let cells = max(0, min(24, Int((db + 48) / 2)))
            let bar = String(repeating: terminal.glyph("█", "#"), count: cells) + String(repeating: terminal.glyph("·", "."), count: 24 - cells)
            terminal.put(y, inner.x, "\(terminal.glyph("●", "*")) recording \(String(format: "%4.1f", Double(status.samples) / rate)) s  \(bar)", .error)
            terminal.put(y + 2, inner.x, "Enter stop · Esc discard", .dim)
        } else if let recorded {
            terminal.put(y, inner.x, "Recorded \(String(format: "%.1f", Double(recorded.count) / rate)) s.", .good)
            terminal.put(y + 2, inner.x, "Enter keep it · l listen · r record again · Esc discard", .dim)
        } else {
            terminal.put(y + 2, inner.x, "Enter start recording (from \(options.recordDevice ?? options.audioDevice)) · Esc cancel", .dim)
        }
        if let note { terminal.put(y + 1, inner.x, note.text, note.style, width: inner.width) }
        terminal.showCursor(at: nil)
        terminal.refreshScreen()
    }

    private func makeProfileVoice(for i: Int) throws {
        let speaker = header.cast[i].name
        guard let description = try askPromptText("How \(speaker) sounds (gender, age, accent, pitch, pace, tone; “very clear audio”):",
                                                  initial: "", what: "the description"),
              !description.trimmingCharacters(in: .whitespaces).isEmpty,
              let name = try askVoiceName("Name of the profile (profile:NAME):", initial: voices.freeProfileName(from: speaker),
                                          problem: voices.problem(withNewProfileName:)) else { return }
        do {
            try voices.addProfile(named: name, description: description)
        } catch {
            return say("\(error)", .error)
        }
        reloadLibraries()
        cast(i, as: .profile(name))
    }

    private func askClipName(initial: String) throws -> String? {
        try askVoiceName("Name of the voice (\(voices.folder.lastPathComponent)/NAME.wav):", initial: initial,
                         problem: voices.problem(withNewClipName:))
    }

    /// A new voice's name (trimmed), asked again while `problem` finds one (taken, not a name), so that what
    /// was typed before it (a description, a transcript) is not lost; nil when cancelled.
    private func askVoiceName(_ title: String, initial: String, problem: (String) -> String?) throws -> String? {
        try ask(title, initial: initial, refusing: problem).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// Text that goes into every prompt with the voice (a clip's transcript, a profile's description), asked again,
    /// as typed, while it holds one of the model's control tokens: refused where it is written, not at every line.
    func askPromptText(_ title: String, initial: String, what: String) throws -> String? {
        try ask(title, initial: initial) { ControlTokens.problem(in: $0, what) }
    }

    /// Writes a clip voice named `name` (trimmed) with `write`, then casts speaker `i` with it.
    /// False when the clip could not be added (the message says why).
    @discardableResult
    private func addClip(_ name: String, castAs i: Int, _ write: (String) throws -> VoiceLibrary.AddedClip) -> Bool {
        let name = name.trimmingCharacters(in: .whitespaces)
        let added: VoiceLibrary.AddedClip
        do {
            added = try write(name)
        } catch {
            say("\(error)", .error)
            return false
        }
        reloadLibraries()
        cast(i, as: .clip(name))
        if let advice = added.advice {
            say("\(header.cast[i].name) speaks with the clip \(name) (\(String(format: "%.1f", added.seconds)) s), \(advice).", .warning, seconds: 10)
        }
        return true
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
