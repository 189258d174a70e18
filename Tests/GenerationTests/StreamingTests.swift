import Foundation
import Testing
import Transformer
import Generation

/// Frames are handed out as they finish, through a callback or an AsyncStream, and cancellation stops
/// the generation within one step.
@Suite struct StreamingTests {
    static func reference(_ name: String) throws -> ReferenceGeneration {
        try #require(ReferenceGeneration.all.first { $0.name == name })
    }

    @Test func asyncStreamDeliversTheReferenceFramesThenTheResult() async throws {
        let reference = try Self.reference("context-cut-by-max-new-tokens")
        let model = try Models.model(reference.geometry)
        let c = model.configuration
        let prompt = try AudioPlaceholders.expand(tokens: reference.promptIds, audio: reference.audio, configuration: c)
        let options = GenerationOptions(maxNewTokens: reference.maxNewTokens, sampling: .greedy)
        var frames = AudioCodes(numCodebooks: c.audioNumCodebooks)
        var result: GenerationResult?
        for try await event in Generator(model: model).stream(prompt, options: options) {
            switch event {
            case .frame(let frame):
                #expect(result == nil)
                frames.append(frame: frame)
            case .finished(let r):
                result = r
            }
        }
        #expect(frames == reference.codes)
        #expect(result?.codes == reference.codes)
    }

    /// A frame becomes available as soon as its last codebook exists: the first one after 1 + 8 steps
    /// (the all-bos frame, then 8 frames for the delay), then one per step.
    @Test func framesArriveOnePerStepAfterTheDelay() throws {
        let reference = try Self.reference("context-cut-by-max-new-tokens")
        let model = try Models.model(reference.geometry)
        let c = model.configuration
        let prompt = try AudioPlaceholders.expand(tokens: reference.promptIds, audio: reference.audio, configuration: c)
        for limit in [9, 10, 11, 20] {
            var count = 0
            let result = try Generator(model: model).generate(
                prompt, options: GenerationOptions(maxNewTokens: limit, sampling: .greedy), onFrame: { _ in count += 1 })
            #expect(result.steps == limit)
            #expect(result.codes.frameCount == max(0, limit - 9), "max_new_tokens \(limit)")
            #expect(count == result.codes.frameCount)
        }
    }

    @Test func cancellationStopsWithinOneStep() throws {
        let reference = try Self.reference("context-cut-by-max-new-tokens")
        let model = try Models.model(reference.geometry)
        let c = model.configuration
        let prompt = try AudioPlaceholders.expand(tokens: reference.promptIds, audio: reference.audio, configuration: c)
        var cancelled = false
        var frames = 0
        let result = try Generator(model: model).generate(
            prompt, options: GenerationOptions(maxNewTokens: 1000, sampling: .greedy), isCancelled: { cancelled }
        ) { _ in
            frames += 1
            if frames == 5 { cancelled = true }
        }
        // The fifth frame comes at step 13; step 14 is the one during which the cancellation is seen.
        #expect(result.stopReason == .cancelled)
        #expect(result.steps == 14)
        #expect(frames == 5 && result.codes.frameCount == 5)
        #expect(result.codes == reference.codes.frames(0..<5))

        let never = try Generator(model: model).generate(prompt, options: GenerationOptions(maxNewTokens: 10, sampling: .greedy),
                                                         isCancelled: { true })
        #expect(never.steps == 0 && never.stopReason == .cancelled && never.segments.isEmpty)
    }

    /// Leaving the stream cancels its generation (which would otherwise run for ten million steps).
    @Test(.timeLimit(.minutes(1)))
    func leavingTheStreamCancelsTheGeneration() async throws {
        let reference = try Self.reference("context-cut-by-max-new-tokens")
        let model = try Models.model(reference.geometry)
        let prompt = try AudioPlaceholders.expand(tokens: reference.promptIds, audio: reference.audio,
                                                  configuration: model.configuration)
        let generator = Generator(model: model)
        var received = 0
        for try await event in generator.stream(prompt, options: GenerationOptions(maxNewTokens: 10_000_000, sampling: .greedy)) {
            if case .frame = event { received += 1 }
            if received == 3 { break }
        }
        // The generator runs one generation at a time: this one starts once the cancelled one has stopped.
        let next = try generator.generate(prompt, options: GenerationOptions(maxNewTokens: 12, sampling: .greedy))
        #expect(next.codes == reference.codes.frames(0..<3))
    }

    /// Sampled generation repeats with its seed and differs with another.
    @Test func seededSamplingRepeats() throws {
        let reference = try Self.reference("fast-forward-context")
        let model = try Models.model(reference.geometry)
        let prompt = try AudioPlaceholders.expand(tokens: reference.promptIds, audio: reference.audio,
                                                  configuration: model.configuration)
        func run(_ seed: UInt64) throws -> GenerationResult {
            let sampling = SamplingOptions(temperature: 0.9, topK: 30, topP: 0.9, rasWindowLength: 7, rasMaxRepeats: 2, seed: seed)
            return try Generator(model: model).generate(prompt, options: GenerationOptions(maxNewTokens: 40, sampling: sampling))
        }
        let first = try run(7)
        #expect(first.codes.frameCount > 0)
        #expect(try run(7) == first)
        #expect(try run(8) != first)
    }
}
