import Foundation
import Testing
import Engine
import Generation
import Prompt
import TestSupport

/// A dialogue the reference CLI generated end to end on geometry A (Tools/fixtures/engine_cases.py).
struct ReferenceDialogue: CustomStringConvertible, Sendable {
    let name: String
    let dialogue: SpeechEngine.Dialogue
    let maxNewTokens: Int
    let clipCodes: [String: AudioCodes]
    let chunks: [(text: String, promptIds: [Int], codes: AudioCodes)]

    var description: String { name }

    static let all: [ReferenceDialogue] = {
        let voices = VoiceLibrary(folder: Fixtures.url("PromptTests", "voices"))
        let scenes = SceneLibrary(folder: Fixtures.url("PromptTests", "scenes"))
        let cases = try! Fixtures.json("EngineTests", "dialogues.json") as! [[String: Any]]
        return cases.map { c in
            let method: ChunkMethod
            switch c["chunk_method"] as? String {
            case "speaker": method = .speaker(maxTurns: c["chunk_max_num_turns"] as! Int)
            case "word": method = .word(maxWords: c["chunk_max_word_num"] as! Int)
            default: method = .none
            }
            let dialogue = SpeechEngine.Dialogue(
                transcript: c["transcript"] as! String, scene: try! (c["scene"] as? String).flatMap { try scenes.resolve($0) },
                voices: try! (c["ref_audio"] as? String).map { try voices.resolve(list: $0) } ?? [],
                chunkMethod: method, bufferSize: c["generation_chunk_buffer_size"] as? Int)
            let clips = (c["clip_codes"] as! [String: [[Int]]]).mapValues { try! AudioCodes(rows: $0) }
            let chunks = (c["chunks"] as! [[String: Any]]).map {
                ($0["text"] as! String, $0["prompt_ids"] as! [Int], try! AudioCodes(rows: $0["codes"] as! [[Int]]))
            }
            return ReferenceDialogue(name: c["name"] as! String, dialogue: dialogue, maxNewTokens: c["max_new_tokens"] as! Int,
                                     clipCodes: clips, chunks: chunks)
        }
    }()
}

/// The committed geometry-A weights with the reduced tokenizer beside them, as a model folder.
enum EngineFixtures {
    static let modelFolder: URL = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("higgs-tests/engine-model-a-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let weights = Fixtures.url("TransformerTests", "geometry-a")
        for name in try! FileManager.default.contentsOfDirectory(atPath: weights.path) {
            try! FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(name),
                                                        withDestinationURL: weights.appendingPathComponent(name))
        }
        try! FileManager.default.copyItem(at: Fixtures.url("EngineTests", "tokenizer-a.json"),
                                          to: folder.appendingPathComponent("tokenizer.json"))
        return folder
    }()
}

@Suite struct DialogueParityTests {
    /// Transcript in, codes out: every chunk's prompt ids and every frame of its codes equal the reference's,
    /// through chunking, the buffer window and (for the clip case) a reference clip's codes.
    @Test(arguments: ReferenceDialogue.all)
    func greedyDialogueReproducesTheReference(_ reference: ReferenceDialogue) throws {
        let engine = try SpeechEngine(modelFolder: EngineFixtures.modelFolder, cache: .disabled) { name, _ in
            guard let codes = reference.clipCodes[name] else { throw PromptError("no codes for \(name)") }
            return codes
        }
        var streamed: [[Int]] = []
        let spoken = try engine.speak(reference.dialogue,
                                      options: .init(sampling: .greedy, maxNewTokens: reference.maxNewTokens, forceAudio: true),
                                      onFrame: { streamed.append($0) })
        #expect(spoken.count == reference.chunks.count)
        for (i, (ours, theirs)) in zip(spoken, reference.chunks).enumerated() {
            #expect(ours.text == theirs.text, "\(reference) chunk \(i) text")
            #expect(ours.promptIds == theirs.promptIds, "\(reference) chunk \(i) prompt")
            #expect(theirs.codes.frameCount >= 50)
            let first = (0..<min(ours.codes.frameCount, theirs.codes.frameCount)).first { ours.codes.frame($0) != theirs.codes.frame($0) }
            #expect(ours.codes.frameCount == theirs.codes.frameCount && first == nil,
                    "\(reference) chunk \(i): \(ours.codes.frameCount) frames, first difference at \(first.map(String.init) ?? "none")")
        }
        // The frames streamed during generation are the chunks' codes, in order.
        #expect(streamed == spoken.flatMap { chunk in (0..<chunk.codes.frameCount).map { chunk.codes.frame($0) } })
    }
}
