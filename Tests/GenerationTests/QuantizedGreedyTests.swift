import Foundation
import Testing
import TestSupport
import Transformer
import Generation

/// q8 makes the reference's greedy decisions. Teacher-forced along the reference's own generated
/// frames (so one early near-tie does not send the rest elsewhere), q8's argmax equals the code the
/// reference chose at every decision of the first 30 frames where the reference's top two logits are
/// at least `margin` apart, and at nearly all decisions overall. The random fixture models have many
/// near-ties (margins of 0.002 to 0.2 logits): there q8's ~0.05-logit noise may pick the other code.
@Suite struct QuantizedGreedyTests {
    static let margin: Float = 0.25

    /// Cases whose generation opens with an audio segment (the prompt ends with `<|audio_out_bos|>`).
    static let cases = ReferenceGeneration.all.filter {
        $0.promptIds.last == (try? Configuration.load($0.modelFolder))?.audioOutBOSTokenId
    }

    @Test(arguments: cases)
    func q8MakesTheReferenceGreedyDecisionsOutsideNearTies(_ reference: ReferenceGeneration) throws {
        let model = try Model.load(folder: reference.modelFolder, precision: .q8, cache: .disabled)
        let reference32 = try Model.load(folder: reference.modelFolder, precision: .bf16)
        let c = model.configuration
        let segment = try #require(reference.segments.first)
        let prompt = try AudioPlaceholders.expand(tokens: reference.promptIds, audio: reference.audio, configuration: c)
        let sessions = [Session(model: reference32, capacity: 2048), Session(model: model, capacity: 2048)]
        for s in sessions { try s.append(prompt, head: .none) }
        let entries = c.audioCodebookEntries
        var decisions = 0, agreed = 0
        for j in 0..<min(segment.frameCount - 1, 30) {
            var step = ModelInput(numCodebooks: c.audioNumCodebooks)
            step.appendAudio(.audioOut, frame: segment.frame(j))
            var logits: [[Float]] = []
            for s in sessions {
                try s.append(step, head: .audio)
                logits.append(Array(s.audioLogits))
            }
            let chosen = segment.frame(j + 1)
            // Free decisions only: past codebook k's delay, and a real code (not a forced bos or eos).
            for k in 0..<c.audioNumCodebooks where j + 1 > k && chosen[k] < c.audioCodebookSize {
                let ours = Array(logits[1][k * entries..<(k + 1) * entries])
                let theirs = Array(logits[0][k * entries..<(k + 1) * entries]).sorted(by: >)
                #expect(theirs[0] == logits[0][k * entries + chosen[k]], "the fp32 run reproduces the reference")
                let pick = ours.indices.max { ours[$0] < ours[$1] }!
                decisions += 1
                if pick == chosen[k] { agreed += 1 }
                else {
                    #expect(theirs[0] - theirs[1] < Self.margin,
                            "\(reference): frame \(j + 1) codebook \(k): q8 chose \(pick), the reference \(chosen[k]) with margin \(theirs[0] - theirs[1])")
                }
            }
        }
        #expect(decisions >= 150)
        #expect(Double(agreed) / Double(decisions) >= 0.95, "\(reference): \(agreed) of \(decisions) decisions agree")
    }
}
