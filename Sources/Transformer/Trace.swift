import Kernels

/// Everything a prefill computes, kept for comparison with the reference: the residual stream after the
/// embedding and after every layer, the final norm, and both heads at every position where the reference
/// evaluates them.
public struct Trace: Sendable {
    /// `hiddenStates[0]` is the embedded input and `hiddenStates[l + 1]` the output of layer `l`,
    /// each `[positions][hidden]`.
    public var hiddenStates: [[Float]]
    /// The final RMSNorm of the last layer's output, `[positions][hidden]`.
    public var normed: [Float]
    /// `text_lm_head` at every position, `[positions][vocab]`.
    public var textLogits: [Float]
    /// `audio_lm_head` at the audio-out positions, `[audioOutPositions.count][codebooks][entries]`.
    public var audioLogits: [Float]
    public var audioOutPositions: [Int]
}

extension Model {
    /// Runs `input` from an empty cache, as one prefill, and records every stage (slow: for tests).
    public func trace(_ input: ModelInput, chunkRows: Int = 256, cachePrecision: KVPrecision? = nil) throws -> Trace {
        try validate(input)
        let session = Session(model: self, capacity: input.count, chunkRows: chunkRows, cachePrecision: cachePrecision)
        let recorder = Recorder(stages: layers.count + 1, width: configuration.text.hiddenSize)
        var start = 0
        while start < input.count {
            let rows = min(chunkRows, input.count - start)
            session.run(input, positions: start..<start + rows, recorder: recorder)
            start += rows
        }
        let c = configuration
        let n = input.count, h = c.text.hiddenSize
        let final = recorder.stages[layers.count]
        var normed = [Float](repeating: 0, count: n * h)
        final.withUnsafeBufferPointer { x in
            normed.withUnsafeMutableBufferPointer { y in norm.apply(x.baseAddress!, into: y.baseAddress!, rows: n) }
        }
        let audioOut = (0..<n).filter { input.kinds[$0] == .audioOut }
        var audioRows = [Float]()
        audioRows.reserveCapacity(audioOut.count * h)
        for p in audioOut { audioRows += normed[p * h..<(p + 1) * h] }
        return Trace(hiddenStates: recorder.stages, normed: normed,
                     textLogits: Self.apply(textHead, normed, rows: n),
                     audioLogits: Self.apply(audioHead, audioRows, rows: audioOut.count),
                     audioOutPositions: audioOut)
    }

    private static func apply(_ weight: Matrix, _ input: [Float], rows: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows * weight.rows)
        guard rows > 0 else { return out }
        var scratch = [Float](repeating: 0, count: Linear.scratchCount(weight, count: rows))
        input.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in
                scratch.withUnsafeMutableBufferPointer { s in
                    Linear.apply(weight, input: x.baseAddress!, count: rows, output: y.baseAddress!, scratch: s.baseAddress)
                }
            }
        }
        return out
    }
}

/// Collects the rows of each stage as the chunks of a prefill pass through.
final class Recorder {
    var stages: [[Float]]
    let width: Int

    init(stages: Int, width: Int) {
        self.stages = Array(repeating: [], count: stages)
        self.width = width
    }

    func record(stage: Int, _ x: UnsafePointer<Float>, rows: Int) {
        stages[stage].append(contentsOf: UnsafeBufferPointer(start: x, count: rows * width))
    }
}
