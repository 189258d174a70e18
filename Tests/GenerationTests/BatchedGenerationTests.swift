import Foundation
import Testing
import TestSupport
import Transformer
import Generation

/// Several generations run at once (`Generator.generate(_ requests:)`) each give what they give alone.
@Suite struct BatchedGenerationTests {
    static func prompt(_ reference: ReferenceGeneration, _ model: Model) throws -> ModelInput {
        try AudioPlaceholders.expand(tokens: reference.promptIds, audio: reference.audio, configuration: model.configuration)
    }

    static func options(_ reference: ReferenceGeneration) -> GenerationOptions {
        GenerationOptions(maxNewTokens: reference.maxNewTokens, sampling: .greedy, stopTokenIds: Set(reference.stopTokenIds))
    }

    /// Every reference case of a geometry in one batch: the streams stop at different steps and for
    /// different reasons (max_new_tokens, a stop token after text mode), some open their audio themselves,
    /// and each still reproduces the reference's tokens and segments; each request's frames reach `onFrame`
    /// under its own index, as its result's codes.
    @Test(arguments: ["a", "b"])
    func referenceCasesTogetherReproduceTheReference(_ geometry: String) throws {
        let references = ReferenceGeneration.all.filter { $0.geometry == geometry }
        #expect(references.count >= 2)
        let model = try Models.model(geometry)
        let requests = try references.map { (try Self.prompt($0, model), Self.options($0)) }
        var streamed = references.map { _ in AudioCodes(numCodebooks: model.configuration.audioNumCodebooks) }
        let results = try Generator(model: model).generate(requests, onFrame: { i, frame in streamed[i].append(frame: frame) })
        #expect(Set(results.map(\.steps)).count > 1)
        for (i, (reference, result)) in zip(references, results).enumerated() {
            #expect(result.steps == reference.steps, "\(reference)")
            #expect(result.tokens == reference.generatedIds, "\(reference)")
            #expect(result.segments == reference.segments, "\(reference)")
            #expect(result.codes == reference.codes, "\(reference)")
            #expect(streamed[i] == result.codes, "\(reference)")
        }
    }

    /// Takes of one prompt with different seeds, sampled, with q8 weights: the batch prefills the prompt
    /// once (the other takes take it over) and every take equals the same seed's generation alone, bit for
    /// bit (rows this short add their blocks in the same order with one input or several); the takes
    /// differ from each other.
    @Test func takesOfOnePromptEqualTheirSeedsAlone() throws {
        let reference = try #require(ReferenceGeneration.all.first { $0.name == "context-cut-by-max-new-tokens" })
        let model = try Model.load(folder: reference.modelFolder, precision: .q8, cache: .disabled)
        let prompt = try Self.prompt(reference, model)
        let seeds: [UInt64] = [3, 4, 5]
        let requests = seeds.map { seed in
            (prompt, GenerationOptions(maxNewTokens: 40, sampling: SamplingOptions(temperature: 1, topK: 50, topP: 0.95, seed: seed)))
        }
        let generator = Generator(model: model, chunkRows: 16)
        let together = try generator.generate(requests)
        let alone = try requests.map { try Generator(model: model, chunkRows: 16).generate($0.0, options: $0.1) }
        #expect(together == alone)
        #expect(together[0].codes != together[1].codes && together[1].codes != together[2].codes && together[0].codes != together[2].codes)
        // The next call goes on from the first take's prompt.
        _ = try generator.generate(requests[0].0, options: requests[0].1)
        #expect(generator.reusedPromptPositions == (prompt.count - 1) / 16 * 16)
    }

    /// A step holds one row per generation in a prefill chunk's rows: more generations than that are refused.
    @Test func moreGenerationsThanAChunksRowsAreRefused() throws {
        let model = try Models.model("a")
        let reference = try #require(ReferenceGeneration.all.first { $0.geometry == "a" })
        let request = (try Self.prompt(reference, model), Self.options(reference))
        #expect(throws: GenerationError("3 generations at once; at most 2 (the prefill chunk's rows)")) {
            try Generator(model: model, chunkRows: 2).generate([request, request, request])
        }
    }

    /// Cancelling stops every generation of the batch within one step.
    @Test func cancellingStopsEveryGeneration() throws {
        let model = try Models.model("a")
        let reference = try #require(ReferenceGeneration.all.first { $0.geometry == "a" })
        let prompt = try Self.prompt(reference, model)
        var checks = 0
        let results = try Generator(model: model).generate([(prompt, Self.options(reference)), (prompt, Self.options(reference))],
                                                           isCancelled: { checks += 1; return checks > 6 })
        #expect(results.map(\.stopReason) == [.cancelled, .cancelled])
        #expect(results.allSatisfy { $0.steps < 6 })
    }
}
