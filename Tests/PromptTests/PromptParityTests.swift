import Foundation
import Testing
import Prompt
import TestSupport
import TextTokenizer

/// A prompt the reference CLI built (Tools/fixtures/prompt_cases.py runs its own functions).
struct ReferencePrompt: CustomStringConvertible, Sendable {
    let name: String
    let input: String
    let scene: String?
    let refAudio: String?
    let inSystem: Bool
    let chunkMethod: ChunkMethod
    let buffer: Int?
    let normalized: String
    let speakerTags: [String]
    let sceneText: String?
    let chunks: [String]
    let referenceClips: Int
    let promptIds: [[Int]]
    let audioCounts: [Int]

    var description: String { name }

    static let all: [ReferencePrompt] = {
        let cases = try! Fixtures.json("PromptTests", "prompts.json") as! [[String: Any]]
        return cases.map { c in
            let method: ChunkMethod
            switch c["chunk_method"] as? String {
            case "speaker": method = .speaker(maxTurns: c["chunk_max_num_turns"] as! Int)
            case "word": method = .word(maxWords: c["chunk_max_word_num"] as! Int)
            default: method = .none
            }
            return ReferencePrompt(
                name: c["name"] as! String, input: c["input"] as! String, scene: c["scene"] as? String,
                refAudio: c["ref_audio"] as? String, inSystem: c["ref_audio_in_system_message"] as! Bool,
                chunkMethod: method, buffer: c["generation_chunk_buffer_size"] as? Int,
                normalized: c["normalized"] as! String, speakerTags: c["speaker_tags"] as! [String],
                sceneText: c["scene_text"] as? String, chunks: c["chunks"] as! [String],
                referenceClips: c["reference_clips"] as! Int, promptIds: c["prompt_ids"] as! [[Int]],
                audioCounts: c["audio_counts"] as! [Int])
        }
    }()
}

enum PromptFixtures {
    static let tokenizer = try! BPETokenizer(
        data: Fixtures.unzipped("TextTokenizerTests", "llama3-tokenizer.zip", entry: "tokenizer.json"), source: "tokenizer.json")
    static let voices = VoiceLibrary(folder: Fixtures.url("PromptTests", "voices"))
    static let scenes = SceneLibrary(folder: Fixtures.url("PromptTests", "scenes"))
}

@Suite struct PromptParityTests {
    @Test(arguments: ReferencePrompt.all)
    func transcriptIsNormalisedAndChunkedAsTheReferenceDoes(_ reference: ReferencePrompt) throws {
        #expect(Transcript.normalize(reference.input) == reference.normalized)
        #expect(Transcript.speakerTags(in: reference.input) == reference.speakerTags)
        #expect(try reference.chunkMethod.chunks(of: reference.normalized) == reference.chunks)
        #expect(try reference.scene.flatMap { try PromptFixtures.scenes.resolve($0) } == reference.sceneText)
    }

    @Test(arguments: ReferencePrompt.all)
    func everyChunkPromptIsTokenExact(_ reference: ReferencePrompt) throws {
        let voices = try reference.refAudio.map { try PromptFixtures.voices.resolve(list: $0) } ?? []
        let context = GenerationContext(scene: reference.sceneText, voices: voices, speakerTags: reference.speakerTags,
                                        referenceAudioInSystemMessage: reference.inSystem)
        #expect(context.clips.count == reference.referenceClips)
        let encoder = ChatMLEncoder(tokenizer: PromptFixtures.tokenizer)
        #expect(reference.chunks.count == reference.promptIds.count)
        for (i, chunk) in reference.chunks.enumerated() {
            // The generation loop keeps the newest `buffer` chunks as context.
            let kept = reference.buffer.map { max(0, i - $0) } ?? 0
            let previous = Array(reference.chunks[kept..<i])
            let prompt = encoder.encode(context.messages(forChunk: chunk, after: previous), forceAudio: false)
            #expect(prompt.ids == reference.promptIds[i], "\(reference) chunk \(i)")
            #expect(prompt.audio.count == reference.audioCounts[i], "\(reference) chunk \(i)")
            #expect(prompt.audio == context.clips.map { .voice($0) } + previous.indices.map { .generated($0) })

            let forced = encoder.encode(context.messages(forChunk: chunk, after: previous))
            #expect(forced.ids == prompt.ids + [PromptFixtures.tokenizer.id(of: "<|audio_out_bos|>")!])
        }
    }
}

@Suite struct PromptErrorTests {
    @Test func unknownVoicesAndProfilesAreNamed() throws {
        let library = PromptFixtures.voices
        let clip = try #require(throws: PromptError.self) { try library.resolve(list: "alice,carol") }
        #expect(clip.description.contains("no voice clip 'carol' in \(library.folder.path)"))
        let profile = try #require(throws: PromptError.self) { try library.resolve(list: "profile:nobody") }
        #expect(profile.description.contains("no profile 'nobody'"))
        #expect(profile.description.contains("profile.yaml"))
        #expect(throws: PromptError.self) { try library.resolve(list: "alice,,bob") }
    }

    @Test func clipWithoutTranscriptAndBadProfilesAreReported() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data([0]).write(to: folder.appendingPathComponent("lonely.wav"))
        try "profiles: [1, 2]\n".write(to: folder.appendingPathComponent("profile.yaml"), atomically: true, encoding: .utf8)
        let library = VoiceLibrary(folder: folder)
        #expect(library.problems.contains { $0.contains("lonely.wav has no transcript lonely.txt") })
        #expect(library.problems.contains { $0.contains("profile.yaml") })
        let error = try #require(throws: PromptError.self) { try library.resolve(.clip("lonely")) }
        #expect(error.description.contains("'lonely'"))
    }

    @Test func missingScenesAreNamed() throws {
        let error = try #require(throws: PromptError.self) { try PromptFixtures.scenes.resolve("moon_base") }
        #expect(error.description == "no scene 'moon_base' in \(PromptFixtures.scenes.folder.path), and no such file")
        #expect(try PromptFixtures.scenes.resolve("empty") == nil)
        let file = Fixtures.url("PromptTests", "scenes/small_kitchen.txt").path
        #expect(try PromptFixtures.scenes.resolve(file) == PromptFixtures.scenes.scene(named: "small_kitchen")?.text)
    }

    @Test func wordChunkingOfChineseIsRefusedClearly() {
        #expect(throws: PromptError.self) { try ChunkMethod.word(maxWords: 5).chunks(of: "你好，世界。") }
    }
}
