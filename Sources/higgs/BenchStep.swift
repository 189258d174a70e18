import ArgumentParser
import Checkpoint
import Foundation
import Generation
import Kernels
import Transformer

/// `higgs bench step`: prefill tokens/s and decode ms/step of the transformer on this machine, on a
/// random-weight checkpoint of the published shape (written to a temporary folder) or a given model.
struct BenchStep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "step",
        abstract: "Time a prefill and single decoding steps of the generation model (random weights unless --model)."
    )

    @Option(help: "A model folder to time instead of a random checkpoint.")
    var model: String?

    @Option(help: "Decoder layers of the random checkpoint (the published model has 28).")
    var layers = 28

    @Option(help: "Prompt positions to prefill.")
    var prompt = 500

    @Option(help: "Audio decoding steps to time.")
    var steps = 20

    @Option(help: "Text decoding steps to time (they read the text head).")
    var textSteps = 3

    @Flag(help: "Keep the random checkpoint folder.")
    var keep = false

    func run() throws {
        let folder: URL
        var temporary: URL?
        if let model {
            folder = URL(fileURLWithPath: model)
        } else {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("higgs-bench-\(UUID().uuidString)")
            let start = Date()
            try RandomCheckpoint.write(to: dir, config: RandomCheckpoint.config(layers: layers))
            print(String(format: "wrote a random %d-layer checkpoint in the published layout to %@ (%.1f s)",
                         layers, dir.path, Date().timeIntervalSince(start)))
            folder = dir
            temporary = dir
        }
        defer { if let temporary, !keep { try? FileManager.default.removeItem(at: temporary) } }

        var start = Date()
        let loaded = try Model.load(folder: folder)
        print(String(format: "load: %.2f s (memory-mapped)", Date().timeIntervalSince(start)))
        let c = loaded.configuration

        // A prompt of text with a reference clip as audio-out positions, ending with <|audio_out_bos|>.
        var random = SeededRandom(seed: 1)
        var input = ModelInput(numCodebooks: c.audioNumCodebooks)
        let clip = min(prompt / 3, 250)
        for p in 0..<prompt - 1 {
            if p >= prompt / 3 && p < prompt / 3 + clip {
                input.appendAudio(.audioOut, frame: (0..<c.audioNumCodebooks).map { _ in Int(random.next() % UInt64(c.audioCodebookSize)) })
            } else {
                input.appendText(Int(random.next() % 128_000) % c.text.vocabSize)
            }
        }
        input.appendText(c.audioOutBOSTokenId)

        let session = Session(model: loaded, capacity: prompt + steps + textSteps + 8)
        start = Date()
        try session.append(input, head: .none)
        let prefill = Date().timeIntervalSince(start)
        print(String(format: "prefill: %d positions in %.2f s = %.1f positions/s (BLAS threads %d)",
                     prompt, prefill, Double(prompt) / prefill, BLAS.threads))

        var frame = [Int](repeating: c.audioStreamBOSId, count: c.audioNumCodebooks)
        var step = ModelInput(numCodebooks: c.audioNumCodebooks)
        step.reserveCapacity(1)
        let entries = c.audioCodebookEntries
        var times: [Double] = []
        times.reserveCapacity(steps + textSteps)
        for _ in 0..<steps {
            step.removeAll()
            step.appendAudio(.audioOut, frame: frame)
            let t = Date()
            try session.append(step, head: .audio)
            let logits = session.audioLogits
            for k in 0..<c.audioNumCodebooks {
                frame[k] = Vector.argmax(logits.baseAddress! + k * entries, count: entries)
            }
            times.append(Date().timeIntervalSince(t))
        }
        report("audio step", times)
        if !times.isEmpty {
            print(String(format: "audio frames: %.1f per second (real time needs 25)", 1 / median(times)))
        }

        times = []
        var token = c.audioEOSTokenId
        for _ in 0..<textSteps {
            step.removeAll()
            step.appendText(token)
            let t = Date()
            try session.append(step, head: .text)
            token = Vector.argmax(session.textLogits.baseAddress!, count: c.text.vocabSize)
            times.append(Date().timeIntervalSince(t))
        }
        report("text step", times)
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }

    private func report(_ name: String, _ times: [Double]) {
        guard !times.isEmpty else { return }
        let ms = times.map { $0 * 1000 }
        print(String(format: "%@: median %.1f ms, mean %.1f ms, min %.1f ms over %d steps", name,
                     median(ms), ms.reduce(0, +) / Double(ms.count), ms.min()!, ms.count))
    }
}
