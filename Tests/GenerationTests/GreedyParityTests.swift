import Foundation
import Testing
import TestSupport
import Transformer
import Generation

/// A greedy generation recorded from the reference's `generate` (temperature 0, RAS off, static KV cache
/// buckets as the CLI uses; Tools/fixtures/model_cases.py).
struct ReferenceGeneration: CustomStringConvertible {
    let name: String
    let geometry: String
    let promptIds: [Int]
    let audio: [AudioCodes]
    let maxNewTokens: Int
    let stopTokenIds: [Int]
    let expanded: [String: Any]
    let steps: Int
    let generatedIds: [Int]
    let segments: [AudioCodes]
    let codes: AudioCodes

    var description: String { "\(geometry)/\(name)" }

    static let all: [ReferenceGeneration] = {
        let cases = try! Fixtures.json("GenerationTests", "generation.json") as! [[String: Any]]
        return cases.map { c in
            ReferenceGeneration(
                name: c["name"] as! String, geometry: c["geometry"] as! String,
                promptIds: c["prompt_ids"] as! [Int],
                audio: (c["audio"] as! [[[Int]]]).map { try! AudioCodes(rows: $0) },
                maxNewTokens: c["max_new_tokens"] as! Int, stopTokenIds: c["stop_token_ids"] as! [Int],
                expanded: c["expanded"] as! [String: Any], steps: c["steps"] as! Int,
                generatedIds: c["generated_ids"] as! [Int],
                segments: (c["segments"] as! [[[Int]]]).map { try! AudioCodes(rows: $0) },
                codes: try! AudioCodes(rows: c["codes"] as! [[Int]]))
        }
    }()

    var modelFolder: URL { Fixtures.url("TransformerTests", "geometry-\(geometry)") }
}

/// Models are loaded once per geometry.
enum Models {
    nonisolated(unsafe) private static var loaded: [String: Model] = [:]
    private static let lock = NSLock()

    static func model(_ geometry: String) throws -> Model {
        try lock.withLock {
            if let model = loaded[geometry] { return model }
            let model = try Model.load(folder: Fixtures.url("TransformerTests", "geometry-\(geometry)"))
            loaded[geometry] = model
            return model
        }
    }
}

@Suite struct GreedyParityTests {
    /// The cases cover: a prefilled earlier chunk and a reference clip as context, cut by max_new_tokens;
    /// streams ending early with eos followed by text mode; a prompt without forced audio where the model
    /// opens the audio itself; fast-forward layers (geometry B). Each has at least 50 decoder frames.
    @Test(arguments: ReferenceGeneration.all)
    func greedyGenerationReproducesTheReference(_ reference: ReferenceGeneration) throws {
        let model = try Models.model(reference.geometry)
        let c = model.configuration
        let prompt = try AudioPlaceholders.expand(tokens: reference.promptIds, audio: reference.audio, configuration: c)
        #expect(prompt.kinds.map { Int($0.rawValue) } == reference.expanded["kinds"] as! [Int])

        let options = GenerationOptions(maxNewTokens: reference.maxNewTokens, sampling: .greedy,
                                        stopTokenIds: Set(reference.stopTokenIds))
        var streamed = AudioCodes(numCodebooks: c.audioNumCodebooks)
        let result = try Generator(model: model).generate(prompt, options: options, onFrame: { streamed.append(frame: $0) })

        #expect(reference.codes.frameCount >= 50)
        #expect(result.steps == reference.steps)
        #expect(result.tokens == reference.generatedIds)
        #expect(result.segments.count == reference.segments.count)
        for (ours, theirs) in zip(result.segments, reference.segments) {
            #expect(ours.frameCount == theirs.frameCount)
            let firstDifference = (0..<min(ours.frameCount, theirs.frameCount)).first { ours.frame($0) != theirs.frame($0) }
            #expect(firstDifference == nil, "\(reference): first differing frame \(firstDifference ?? -1)")
        }
        #expect(result.codes == reference.codes)
        #expect(streamed == result.codes, "streamed frames are the result's codes")
        let expectedReason: StopReason = reference.generatedIds.last.map { reference.stopTokenIds.contains($0) } == true
            ? .stopToken(reference.generatedIds.last!) : .maxNewTokens
        #expect(result.stopReason == expectedReason)
    }

    /// The eos cases really end their streams early: stream eos appears, every codebook reaches it one
    /// frame after the one above, and <|audio_eos|> follows.
    @Test func eosCasesEndTheirStreamsEarly() throws {
        let eosCases = ReferenceGeneration.all.filter { $0.name.contains("eos") }
        #expect(eosCases.count >= 2)
        for reference in eosCases {
            let model = try Models.model(reference.geometry)
            let c = model.configuration
            let segment = try #require(reference.segments.first)
            let last = segment.frameCount - 1
            #expect((0..<c.audioNumCodebooks - 1).allSatisfy { segment[$0, last] == c.audioStreamEOSId })
            #expect(reference.generatedIds.contains(c.audioEOSTokenId))
            #expect(reference.steps > segment.frameCount, "\(reference): text mode after the audio")
        }
    }

    /// Asked to end with the audio segment, an eos case stops at its `<|audio_eos|>`: the same codes and
    /// tokens up to there, and none of the text steps after.
    @Test func endingWithTheAudioSegmentSkipsTheTextAfterIt() throws {
        let eosCases = ReferenceGeneration.all.filter { $0.name.contains("eos") }
        #expect(eosCases.count >= 2)
        for reference in eosCases {
            let model = try Models.model(reference.geometry)
            let c = model.configuration
            let prompt = try AudioPlaceholders.expand(tokens: reference.promptIds, audio: reference.audio, configuration: c)
            let options = GenerationOptions(maxNewTokens: reference.maxNewTokens, sampling: .greedy,
                                            stopTokenIds: Set(reference.stopTokenIds), endsWithAudioSegment: true)
            var streamed = AudioCodes(numCodebooks: c.audioNumCodebooks)
            let result = try Generator(model: model).generate(prompt, options: options, onFrame: { streamed.append(frame: $0) })
            let end = try #require(reference.generatedIds.firstIndex(of: c.audioEOSTokenId))
            #expect(result.stopReason == .audioSegmentEnded)
            #expect(result.tokens == Array(reference.generatedIds[...end]))
            #expect(result.steps == reference.steps - (reference.generatedIds.count - 1 - end))
            #expect(result.segments == [reference.segments[0]])
            #expect(result.codes == reference.codes && streamed == reference.codes)
        }
    }

    /// A prompt that ends inside an audio segment (the all-bos frame and the first frames already given as
    /// audio-out positions) continues it as the uninterrupted run did.
    @Test(arguments: [1, 5, 12])
    func continuingAnOpenSegmentMatchesTheUninterruptedRun(givenFrames: Int) throws {
        let reference = try #require(ReferenceGeneration.all.first { $0.name == "context-cut-by-max-new-tokens" })
        let model = try Models.model(reference.geometry)
        let c = model.configuration
        var prompt = try AudioPlaceholders.expand(tokens: reference.promptIds, audio: reference.audio, configuration: c)
        let segment = reference.segments[0]
        for t in 0...givenFrames { prompt.appendAudio(.audioOut, frame: segment.frame(t)) }
        var streamed = AudioCodes(numCodebooks: c.audioNumCodebooks)
        let result = try Generator(model: model).generate(
            prompt, options: GenerationOptions(maxNewTokens: reference.steps - givenFrames - 1, sampling: .greedy),
            onFrame: { streamed.append(frame: $0) })
        #expect(result.segments == [segment])
        #expect(result.codes == reference.codes)
        #expect(streamed == reference.codes)
        #expect(result.tokens.isEmpty)
    }
}
