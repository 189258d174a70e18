import Foundation
import Testing
import TestSupport
import Transformer
import Kernels

/// Several sessions stepping together (`Session.step`) give what each gives stepping alone, and a session
/// can take over another's prefill (`continueFrom`).
@Suite struct BatchedStepTests {
    /// One position of `input` as an input of its own.
    static func position(_ p: Int, of input: ModelInput) -> ModelInput {
        var single = ModelInput(numCodebooks: input.numCodebooks)
        if input.kinds[p] == .text {
            single.appendText(input.tokens[p])
        } else {
            single.appendAudio(input.kinds[p], frame: input.frame(at: p))
        }
        return single
    }

    /// Logits of a step: audio after audio-out positions, text otherwise.
    static func head(after kind: ModelInput.Kind) -> OutputHead { kind == .audioOut ? .audio : .text }

    static func logits(_ session: Session, _ head: OutputHead) -> [Float] {
        head == .audio ? Array(session.audioLogits) : Array(session.textLogits)
    }

    /// Three sessions at different places in the reference prompt step on together, each with its next
    /// position (text, audio-in and audio-out rows in one step; geometry B's fast-forward layers then run
    /// the text rows alone). Their logits match sessions stepping alone within 1e-5 of the largest (the
    /// products are blocked differently, as in the chunked prefill), and every session ends where it should.
    @Test(arguments: Geometry.allCases)
    func stepsTogetherMatchStepsAlone(_ geometry: Geometry) throws {
        let model = try geometry.load()
        let input = try ReferencePrefill(geometry.rawValue, numCodebooks: model.configuration.audioNumCodebooks).input
        let starts = [10, 47, 78]
        let together = starts.map { _ in Session(model: model, capacity: 16, cachePrecision: .float32) }
        let alone = starts.map { _ in Session(model: model, capacity: 16, cachePrecision: .float32) }
        for (i, start) in starts.enumerated() {
            try together[i].append(input.positions(0..<start))
            try alone[i].append(input.positions(0..<start))
        }
        var kindsSeen = Set<ModelInput.Kind>()
        for step in 0..<24 {
            let positions = starts.map { $0 + step }
            let inputs = positions.map { Self.position($0, of: input) }
            let heads = positions.map { Self.head(after: input.kinds[$0]) }
            positions.forEach { kindsSeen.insert(input.kinds[$0]) }
            try Session.step(together, inputs: inputs, heads: heads)
            for i in starts.indices {
                try alone[i].append(inputs[i], head: heads[i])
                let error = relativeError(Self.logits(together[i], heads[i]), Self.logits(alone[i], heads[i]))
                #expect(error <= 1e-5, "\(geometry) session \(i) step \(step): \(error)")
            }
        }
        #expect(kindsSeen == [.text, .audioIn, .audioOut])
        #expect(together.map { $0.count } == starts.map { $0 + 24 })
    }

    /// With quantized weights and their int8 cache too, within 1e-5 of the largest logit: the products of a
    /// few rows quantize their inputs per row and block, as the one-row products do.
    @Test(arguments: [WeightPrecision.q8, .q4])
    func quantizedStepsTogetherStayClose(_ precision: WeightPrecision) throws {
        let model = try Model.load(folder: QuantizationTests.folder, precision: precision, cache: .disabled)
        let c = model.configuration
        var random = SplitMix(seed: 11)
        func frame() -> [Int] { (0..<c.audioNumCodebooks).map { _ in Int(random.next() % 1024) } }
        let prompts: [ModelInput] = [20, 33].map { length in
            var prompt = ModelInput(numCodebooks: c.audioNumCodebooks)
            for _ in 0..<length { prompt.appendText(Int(random.next() % 700)) }
            prompt.appendText(c.audioOutBOSTokenId)
            return prompt
        }
        let together = prompts.map { _ in Session(model: model, capacity: 64) }
        let alone = prompts.map { _ in Session(model: model, capacity: 64) }
        for i in prompts.indices {
            try together[i].append(prompts[i])
            try alone[i].append(prompts[i])
        }
        var worst: Float = 0
        for _ in 0..<12 {
            let inputs = prompts.map { _ in
                var step = ModelInput(numCodebooks: c.audioNumCodebooks)
                step.appendAudio(.audioOut, frame: frame())
                return step
            }
            try Session.step(together, inputs: inputs, heads: [.audio, .audio])
            for i in prompts.indices {
                try alone[i].append(inputs[i], head: .audio)
                worst = max(worst, relativeError(Array(together[i].audioLogits), Array(alone[i].audioLogits)))
            }
        }
        #expect(worst <= 1e-5, "\(precision): relative error \(worst)")
    }

    /// A session that takes over another's first positions and runs the rest computes exactly what a
    /// session that ran them all computes; whatever it held before is gone.
    @Test func continuingFromAnotherSessionIsExact() throws {
        let model = try Geometry.a.load()
        let input = try ReferencePrefill("a", numCodebooks: model.configuration.audioNumCodebooks).input
        let first = Session(model: model, capacity: 8, chunkRows: 16)
        try first.append(input.positions(0..<64))
        let whole = Session(model: model, capacity: 8, chunkRows: 16)
        try whole.append(input, head: .text)

        let second = Session(model: model, capacity: 8, chunkRows: 16)
        try second.append(input.positions(80..<100))
        second.continueFrom(first, positions: 48)
        #expect(second.count == 48)
        try second.append(input.positions(48..<input.count), head: .text)
        #expect(Array(second.textLogits) == Array(whole.textLogits))
        #expect(second.count == input.count)

        // Taking over every position takes over the logits and the last residual too.
        let third = Session(model: model, capacity: 8, chunkRows: 16)
        third.continueFrom(whole, positions: whole.count)
        #expect(third.count == whole.count && Array(third.textLogits) == Array(whole.textLogits))
        third.evaluate(.audio)
        whole.evaluate(.audio)
        #expect(Array(third.audioLogits) == Array(whole.audioLogits))
        let next = Self.position(40, of: input)
        try third.append(next, head: .text)
        try whole.append(next, head: .text)
        #expect(Array(third.textLogits) == Array(whole.textLogits))
    }
}
