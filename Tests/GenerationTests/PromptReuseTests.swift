import Foundation
import Testing
import Transformer
import Generation

/// A prompt that starts like the previous one goes on from that prompt's cached prefill, and gets
/// exactly what a fresh generator would give it.
@Suite struct PromptReuseTests {
    static let chunkRows = 16

    static func setup() throws -> (model: Model, prompt: ModelInput, options: GenerationOptions) {
        let reference = try #require(ReferenceGeneration.all.first { $0.name == "context-cut-by-max-new-tokens" })
        let model = try Models.model(reference.geometry)
        let prompt = try AudioPlaceholders.expand(tokens: reference.promptIds, audio: reference.audio,
                                                  configuration: model.configuration)
        // Sampled rather than greedy: the smallest difference in the logits would show in the codes.
        let options = GenerationOptions(maxNewTokens: 30, sampling: SamplingOptions(temperature: 1, topK: nil, topP: 1, seed: 11))
        return (model, prompt, options)
    }

    /// The first 60 positions of `prompt`, then its last 10 (it still ends as the original does).
    static func variant(of prompt: ModelInput) -> ModelInput {
        var changed = prompt.positions(0..<60)
        let tail = prompt.positions(prompt.count - 10..<prompt.count)
        for p in 0..<tail.count {
            if tail.kinds[p] == .text { changed.appendText(tail.tokens[p]) } else { changed.appendAudio(tail.kinds[p], frame: tail.frame(at: p)) }
        }
        return changed
    }

    @Test func aPromptSharingTheStartReusesWholeChunksAndGivesTheSameResult() throws {
        let (model, prompt, options) = try Self.setup()
        let changed = Self.variant(of: prompt)
        #expect(changed.sharedPrefixCount(with: prompt) == 60)

        let generator = Generator(model: model, chunkRows: Self.chunkRows)
        let first = try generator.generate(prompt, options: options)
        #expect(generator.reusedPromptPositions == 0)
        let second = try generator.generate(changed, options: options)
        #expect(generator.reusedPromptPositions == 48)  // 60 shared, in whole chunks of 16
        let fresh = try Generator(model: model, chunkRows: Self.chunkRows).generate(changed, options: options)
        #expect(second == fresh)
        #expect(second != first)

        // The same prompt again (a retake): everything but the last chunk, and the first result again.
        let again = try generator.generate(prompt, options: options)
        #expect(generator.reusedPromptPositions == 48)  // shared 60 again, with `changed` run last
        let retake = try generator.generate(prompt, options: options)
        #expect(generator.reusedPromptPositions == (prompt.count - 1) / Self.chunkRows * Self.chunkRows)
        #expect(again == first && retake == first)
    }

    /// A generation stopped before its prefill touches nothing: the one before it is still there to reuse.
    @Test func aGenerationStoppedBeforeItsPrefillLeavesThePreviousOneToReuse() throws {
        let (model, prompt, options) = try Self.setup()
        let generator = Generator(model: model, chunkRows: Self.chunkRows)
        _ = try generator.generate(prompt, options: options)
        let stopped = try generator.generate(Self.variant(of: prompt), options: options, isCancelled: { true })
        #expect(stopped.stopReason == .cancelled && stopped.steps == 0)
        let next = try generator.generate(prompt, options: options)
        #expect(generator.reusedPromptPositions == (prompt.count - 1) / Self.chunkRows * Self.chunkRows)
        #expect(next == (try Generator(model: model, chunkRows: Self.chunkRows).generate(prompt, options: options)))
    }

    /// A generation cancelled during its prefill stops between chunks (a long prompt is not run to its end first);
    /// the chunks it ran are taken over by the next generation of that prompt, with what a fresh generator gives.
    @Test func aGenerationCancelledDuringItsPrefillStopsAtAChunk() throws {
        let (model, prompt, options) = try Self.setup()
        #expect(prompt.count > 3 * Self.chunkRows)
        let generator = Generator(model: model, chunkRows: Self.chunkRows)
        var asked = 0
        // Asked before the prefill, then before each chunk: cancelled after two chunks.
        let stopped = try generator.generate(prompt, options: options, isCancelled: { asked += 1; return asked > 3 })
        #expect(stopped.stopReason == .cancelled && stopped.steps == 0 && asked == 4)
        let next = try generator.generate(prompt, options: options)
        #expect(generator.reusedPromptPositions == 2 * Self.chunkRows)
        #expect(next == (try Generator(model: model, chunkRows: Self.chunkRows).generate(prompt, options: options)))
    }

    /// A start prefilled ahead (`prepare`, the studio's line under the cursor) is taken over by the generation
    /// asked for later, with what a fresh generator gives; a prompt that starts alike goes on from it.
    @Test func aPreparedStartIsTakenOverWithTheSameResult() throws {
        let (model, prompt, options) = try Self.setup()
        let whole = (prompt.count - 1) / Self.chunkRows * Self.chunkRows
        let generator = Generator(model: model, chunkRows: Self.chunkRows)
        #expect(try generator.prepare(prompt, isCancelled: { true }) == 0)
        #expect(try generator.prepare(prompt) == whole)
        let first = try generator.generate(prompt, options: options)
        #expect(generator.reusedPromptPositions == whole)
        #expect(first == (try Generator(model: model, chunkRows: Self.chunkRows).generate(prompt, options: options)))

        // What is held is not prefilled again; a variant keeps the shared whole chunks and prefills the rest.
        #expect(try generator.prepare(prompt) == whole)
        let changed = Self.variant(of: prompt)
        let changedWhole = (changed.count - 1) / Self.chunkRows * Self.chunkRows
        #expect(try generator.prepare(changed) == changedWhole)
        let second = try generator.generate(changed, options: options)
        #expect(generator.reusedPromptPositions == changedWhole)
        #expect(second == (try Generator(model: model, chunkRows: Self.chunkRows).generate(changed, options: options)))
    }

    /// A start prepared beside the prompt made last keeps that one too: a retake of the last prompt and the
    /// prepared one each take over all their whole chunks.
    @Test func aPreparedStartKeepsTheLastPromptBesideIt() throws {
        let (model, prompt, options) = try Self.setup()
        let changed = Self.variant(of: prompt)
        func whole(_ p: ModelInput) -> Int { (p.count - 1) / Self.chunkRows * Self.chunkRows }
        let generator = Generator(model: model, chunkRows: Self.chunkRows)
        let first = try generator.generate(prompt, options: options)
        #expect(try generator.prepare(changed) == whole(changed))
        let second = try generator.generate(changed, options: options)
        #expect(generator.reusedPromptPositions == whole(changed))
        #expect(second == (try Generator(model: model, chunkRows: Self.chunkRows).generate(changed, options: options)))
        let again = try generator.generate(prompt, options: options)
        #expect(generator.reusedPromptPositions == whole(prompt))  // 48 when the prepared start took its slot
        #expect(again == first)
    }

    /// A generation asked for while a start is prefilled ahead waits for one chunk at most: the preparing
    /// stops there, and the generation gives what it gives alone.
    @Test func preparingGivesWayToAGeneration() throws {
        let (model, prompt, options) = try Self.setup()
        let changed = Self.variant(of: prompt)
        let generator = Generator(model: model, chunkRows: Self.chunkRows)
        final class Box: @unchecked Sendable { var result: GenerationResult?; var failure: Error? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        var checks = 0
        let held = try generator.prepare(prompt, isCancelled: {
            checks += 1
            // Before its first chunk: a generation of another prompt asks to run, and is waiting when this returns.
            if checks == 2 {
                Thread {
                    do { box.result = try generator.generate(changed, options: options) } catch { box.failure = error }
                    done.signal()
                }.start()
                while generator.generationsAtOnce == 0 { usleep(1000) }
            }
            return false
        })
        #expect(held == Self.chunkRows)
        done.wait()
        #expect(box.failure == nil)
        #expect(box.result == (try Generator(model: model, chunkRows: Self.chunkRows).generate(changed, options: options)))
    }
}
