import AudioIO
import Foundation
import Generation
import Prompt
import Studio
import TestSupport
import Testing

/// The model's control tokens (`<|eot_id|>` and the rest) written where the studio puts text into a prompt — a
/// script line, a scene, a voice's transcript or description, a pronunciation — would act there rather than be
/// read: each is a problem naming the token, and nothing is made with it.
@Suite struct ControlTokenTests {
    /// Every `<|...|>` added token of the test model's tokenizer (the published tokenizer's, fewer of them) is a
    /// control token; the event forms a script may write are not, nor a look-alike the tokenizer does not have.
    @Test func theTokenizersSpecialTokensAreKnown() throws {
        let tokenizer = try #require(Fixtures.json("EngineTests", "tokenizer-a.json") as? [String: Any])
        let added = try #require(tokenizer["added_tokens"] as? [[String: Any]]).compactMap { $0["content"] as? String }
        let control = added.filter { $0.hasPrefix("<|") }
        #expect(control.count > 100 && control.contains("<|eot_id|>") && control.contains("<|reserved_special_token_119|>"))
        for token in control { #expect(ControlTokens.contains(token), "\(token)") }
        for token in added where !token.hasPrefix("<|") { #expect(!ControlTokens.contains(token) && ControlTokens.first(in: token) == nil, "\(token)") }
        // Higgs Audio's own tokens took reserved 3-5 and 7-19: those are no tokens of it.
        #expect(!ControlTokens.contains("<|reserved_special_token_3|>") && !ControlTokens.contains("<|reserved_special_token_248|>"))
        #expect(!ControlTokens.contains("<|reserved_special_token_020|>") && ControlTokens.contains("<|reserved_special_token_20|>"))
        #expect(ControlTokens.first(in: "a <|<|audio_eos|> b <|eot_id|>") == "<|audio_eos|>")
        #expect(ControlTokens.first(in: "<|EOT_ID|> <|eot id|> <|eot_id> eot_id") == nil)
    }

    /// A line holding a control token has a problem naming it and no request; the lines around it are made, and a
    /// take it had from before is no line's context. The event forms and look-alikes are left as written.
    @Test func aLineHoldingAControlTokenIsNotMade() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder)
        let project = Project(cast: [CastMember(name: "Ann", voice: .automatic)],
                              pronunciations: [Pronunciation(word: "Bye", sayAs: "<|end_of_text|>")],
                              script: ["[Ann] Hello.<|eot_id|> How are you?", "[Ann] Fine.", "[Ann] Oh 《|audio_eos|》 well.",
                                       "[Ann] Ha <SE>[Laughter]</SE> [laugh], <|not_a_token|> <|reserved_special_token_3|>.", "[Ann] Bye."])
        let planner = DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []), scenes: SceneLibrary(scenes: []),
                                      takes: store, fingerprints: ClipFingerprints())
        let first = try #require(planner.plan(line: 0))
        #expect(first.problem == "the line holds the model's control token <|eot_id|>: it would end the turn there; remove it")
        #expect(first.request == nil && first.key == nil)
        // Full-width brackets become ASCII as the reference normalises the script: a token by then.
        #expect(planner.plan(line: 2)?.problem == "the line holds the model's control token <|audio_eos|>: it would open or close audio there; remove it")
        let fine = try #require(planner.plan(line: 3))
        #expect(fine.problem == nil && fine.request != nil)
        #expect(planner.plan(line: 4)?.problem
                == "the line as said (its pronunciations applied) holds the model's control token <|end_of_text|>: it would end the prompt there; remove it")

        // A take the line got before (made before this check) is given to no line as context.
        try store.add(GeneratedTake(codes: try AudioCodes(rows: Array(repeating: [1], count: 8)), samples: [0.5]), key: "made-before",
                      seed: 42, reseeded: false, line: first.identity, transcript: first.transcript, engine: "")
        #expect(planner.plan(line: 0)?.take != nil)
        let second = try #require(planner.plan(line: 1))
        #expect(second.problem == nil && second.request != nil && second.context.isEmpty)

        #expect(Pronunciation.problem(sayAs: "Shiv<|eot_id|>", word: "Siobhan") == "how to say 'Siobhan' holds the model's control token <|eot_id|>")
        #expect(Pronunciation.problem(sayAs: "Shiv-awn", word: "Siobhan") == nil)
    }

    /// A scene (a file of Scenes/, the project's own text, a note's) holding a control token is the problem of the
    /// lines it is the scene of, naming the file or the description.
    @Test func aSceneHoldingAControlTokenStopsItsLines() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try "A quiet room.<|eot_id|>\n".write(to: folder.appendingPathComponent("room.txt"), atomically: true, encoding: .utf8)
        try "A busy market.\n".write(to: folder.appendingPathComponent("market.txt"), atomically: true, encoding: .utf8)
        let scenes = SceneLibrary(folder: folder)
        let project = Project(scene: .named("room"), cast: [CastMember(name: "Ann", voice: .automatic)],
                              script: ["[Ann] One.", "# scene: market", "[Ann] Two.", "# scene: A hall.<|scene_desc_end|> Echoes.", "[Ann] Three."])
        let planner = DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []), scenes: scenes,
                                      takes: TakeStore(folder: folder.appendingPathComponent("takes")), fingerprints: ClipFingerprints())
        #expect(planner.plan(line: 0)?.problem
                == "\(folder.path)/room.txt holds the model's control token <|eot_id|>: it would end the turn there; remove it")
        #expect(planner.plan(line: 2)?.problem == nil && planner.plan(line: 2)?.request?.scene == "A busy market.")
        #expect(planner.plan(line: 4)?.problem == "the scene description holds the model's control token <|scene_desc_end|>: "
                + "it would open or close the scene description there; remove it")
        #expect(throws: StudioError.self) {
            try planner.auditionRequest(voice: .automatic, library: VoiceLibrary(clips: [], profiles: []), text: "Hello.")
        }
    }

    /// A voice's transcript or description holding a control token is that voice's problem (every line's prompt
    /// holds every voice), named in the cast, in the voice list's check and for an audition.
    @Test func aVoiceHoldingAControlTokenIsAProblemOfTheCast() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try WAVFile.write((0..<24_000 * 6).map { Float(sin(Double($0) * 0.05)) * 0.3 }, sampleRate: 24_000,
                          to: folder.appendingPathComponent("ann.wav"))
        try "Hi there.<|audio_eos|>\n".write(to: folder.appendingPathComponent("ann.txt"), atomically: true, encoding: .utf8)
        try "profiles:\n  host: A warm voice. <|eot_id|>\n  calm: A calm voice.\n"
            .write(to: folder.appendingPathComponent("profile.yaml"), atomically: true, encoding: .utf8)
        let library = VoiceLibrary(folder: folder)
        #expect(library.clips == ["ann"] && library.profiles.count == 2)
        let project = Project(cast: [CastMember(name: "Ann", voice: .clip("ann")), CastMember(name: "Bo", voice: .profile("host")),
                                     CastMember(name: "Cy", voice: .profile("calm"))],
                              script: ["[Ann] One.", "[Bo] Two.", "[Cy] Three."])
        let planner = DialoguePlanner(project: project, voices: library, scenes: SceneLibrary(scenes: []),
                                      takes: TakeStore(folder: folder.appendingPathComponent("takes")), fingerprints: ClipFingerprints())
        let annProblem = "\(folder.path)/ann.txt holds the model's control token <|audio_eos|>: it would open or close audio there; remove it"
        #expect(planner.casting.voiceProblems[0] == "speaker 'Ann': \(annProblem)")
        #expect(planner.casting.voiceProblems[1] == "speaker 'Bo': profile 'host' in \(folder.path)/profile.yaml holds the model's "
                + "control token <|eot_id|>: it would end the turn there; remove it")
        #expect(planner.casting.voiceProblems[2] == nil)
        #expect(planner.plan(line: 0)?.problem == "speaker 'Ann': \(annProblem)")
        #expect(planner.plan(line: 2)?.problem == "Ann's voice, which every line's prompt holds: \(annProblem)")
        #expect(library.check(clip: "ann").problems == [annProblem])
        #expect(throws: StudioError(annProblem)) { try planner.auditionRequest(voice: .clip("ann"), library: library, text: "Hello.") }
        #expect(throws: Never.self) { try planner.auditionRequest(voice: .profile("calm"), library: library, text: "Hello.") }
        #expect(throws: StudioError.self) { try planner.auditionRequest(voice: .profile("calm"), library: library, text: "Hi<|eot_id|>") }
    }
}
