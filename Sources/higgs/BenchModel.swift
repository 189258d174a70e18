import ArgumentParser
import AudioCodec
import Foundation
import Generation
import Kernels
import Transformer

/// `higgs bench` (also `higgs bench model`): the generation model's speed on this machine against its
/// memory-bandwidth floor, for each weight precision and thread count, in one run.
struct BenchModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Time loading, prefill and decoding of the generation model (random full-size weights unless --model)."
    )

    @Option(help: "A model folder to time instead of a random checkpoint in the published layout.")
    var model: String?

    @Option(help: "Decoder layers of the random checkpoint (the published model has 28).")
    var layers = 28

    @Option(help: "Where to write the random checkpoint and the quantized weights (default: a temporary folder).")
    var scratch: String?

    @Option(help: "Precisions to time, comma-separated.")
    var precisions = "bf16,q8,q4"

    @Option(help: "Thread counts for decoding, comma-separated (default: 1 and the physical cores).")
    var threads: String?

    @Option(help: "Prompt positions to prefill.")
    var prompt = 500

    @Option(help: "Audio decoding steps timed per precision and thread count.")
    var steps = 12

    @Option(help: "Also time steps of this many generations together (takes of a line), comma-separated: e.g. 2,4.")
    var together: String?

    @Option(help: "Seconds of audio the codec decodes (random full-size tokenizer unless --audio-tokenizer); 0 skips it.")
    var codecSeconds = 10

    @Option(name: .customLong("audio-tokenizer"), help: "An audio tokenizer folder to time instead of random weights.")
    var audioTokenizer: String?

    @Option(help: "Also write the results as JSON to this file.")
    var json: String?

    @Flag(help: "Keep the random checkpoint (and the quantized weights) after the run.")
    var keep = false

    func run() throws {
        let cores = System.physicalCores
        let threadCounts = try threads.map(parseList) ?? Array(Set([1, cores])).sorted()
        let batches = try together.map(parseList) ?? []
        let chosen = try precisions.split(separator: ",").map { name -> WeightPrecision in
            guard let p = WeightPrecision(rawValue: String(name)) else { throw ValidationError("unknown precision '\(name)'") }
            return p
        }
        var report = BenchReport(machine: BenchReport.machineDescription(), instructionSet: ThreadPool.instructionSet)

        for t in threadCounts {
            report.bandwidth[t] = ThreadPool(threads: t).readBandwidth()
            print(String(format: "read bandwidth, %d thread%@: %.1f GB/s", t, t == 1 ? "" : "s", report.bandwidth[t]!))
        }

        let folder: URL
        let work = scratch.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("higgs-bench-\(UUID().uuidString)")
        // Without --keep the run removes what it made, and only that: a given scratch folder may hold
        // the user's own files (even the --model folder), so it loses only the parts this run created.
        var made = [work, work.appendingPathComponent("weights")]
        if model == nil { made.append(work.appendingPathComponent("model")) }
        made = made.filter { !FileManager.default.fileExists(atPath: $0.path) }
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { if !keep { for url in made { try? FileManager.default.removeItem(at: url) } } }
        if let model {
            folder = URL(fileURLWithPath: model)
        } else {
            folder = work.appendingPathComponent("model")
            let start = Date()
            try RandomCheckpoint.write(to: folder, config: RandomCheckpoint.config(layers: layers))
            print(String(format: "wrote a random %d-layer checkpoint in the published layout (%.0f s)", layers, Date().timeIntervalSince(start)))
        }
        let cache = QuantizedWeightCache(folder: work.appendingPathComponent("weights"))

        for precision in chosen {
            var row = BenchReport.Row(precision: precision.rawValue)
            PeakMemory.reset()
            ThreadPool.setSharedThreads(cores)
            var start = Date()
            var loaded: Model? = try Model.load(folder: folder, precision: precision, cache: cache)
            row.firstLoadSeconds = Date().timeIntervalSince(start)
            if precision != .bf16 {
                loaded = nil  // the second start maps what the first one wrote
                start = Date()
                loaded = try Model.load(folder: folder, precision: precision, cache: cache)
                row.cachedLoadSeconds = Date().timeIntervalSince(start)
            }
            let model = loaded!
            row.weightBytes = model.weightBytes
            row.stepBytes = model.audioStepBytes

            // The best of two prefills (other work on the machine only ever slows one down), one session
            // alive at a time so the peak memory is one generation's.
            func prefilled() throws -> Session {
                let session = Session(model: model, capacity: prompt + steps * threadCounts.count + 16)
                let start = Date()
                try session.append(Self.prompt(model.configuration, positions: prompt), head: .none)
                row.prefillPositionsPerSecond = max(row.prefillPositionsPerSecond, Double(prompt) / Date().timeIntervalSince(start))
                return session
            }
            _ = try prefilled()
            let session = try prefilled()

            for t in threadCounts {
                ThreadPool.setSharedThreads(t)
                // The floor from the bandwidth probed right before and right after: this machine's moves from
                // minute to minute, and one probe before a timing can miss a change during it.
                let before = ThreadPool.shared.readBandwidth()
                let seconds = try Self.decode([session], steps: steps)
                let after = ThreadPool.shared.readBandwidth()
                report.bandwidth[t] = max(report.bandwidth[t] ?? 0, before, after)
                let floor = Double(row.stepBytes) / ((before + after) / 2 * 1e9)
                row.decode[t] = .init(milliseconds: seconds * 1000, floorMilliseconds: floor * 1000,
                                      bandwidthBefore: before, bandwidthAfter: after)
            }
            // Beside the last thread count's steps alone, as the table compares them.
            ThreadPool.setSharedThreads(threadCounts.last!)
            for n in batches where n > 1 {
                // The other generations go on from the same prompt and steps, as takes of one line do.
                let sessions = [session] + (1..<n).map { _ in
                    let other = Session(model: model, capacity: session.count + steps + 16)
                    other.continueFrom(session, positions: session.count)
                    return other
                }
                row.together[n] = try Self.decode(sessions, steps: steps) * 1000
            }
            ThreadPool.setSharedThreads(cores)
            row.peakResidentBytes = PeakMemory.current()
            report.rows.append(row)
            print(row.line(threadCounts))
        }

        if codecSeconds > 0 {
            ThreadPool.setSharedThreads(cores)
            let tokenizer = try audioTokenizer.map { try AudioTokenizer(folder: URL(fileURLWithPath: $0)) }
                ?? BenchCodec.randomTokenizer()
            let (seconds, audio) = try BenchCodec.timeDecode(tokenizer, seconds: codecSeconds, runs: 3)
            report.codecRealTimeFactor = seconds / audio
            print(String(format: "codec: %.2f s to decode %.1f s of audio, %d threads", seconds, audio, cores))
        }

        print("")
        print(report.table(threadCounts))
        if let json {
            try report.json(threadCounts).write(to: URL(fileURLWithPath: json))
            print("wrote \(json)")
        }
    }

    private func parseList(_ text: String) throws -> [Int] {
        try text.split(separator: ",").map {
            guard let n = Int($0), n > 0 else { throw ValidationError("'\(text)' is not a list of positive counts") }
            return n
        }
    }

    /// Text with a reference clip as audio-out positions in the middle, ending with `<|audio_out_bos|>`.
    static func prompt(_ c: Configuration, positions: Int) -> ModelInput {
        var random = SeededRandom(seed: 1)
        var input = ModelInput(numCodebooks: c.audioNumCodebooks)
        let clip = positions / 3..<positions / 3 + min(positions / 3, 250)
        for p in 0..<positions - 1 {
            if clip.contains(p) {
                input.appendAudio(.audioOut, frame: (0..<c.audioNumCodebooks).map { _ in Int(random.next() % UInt64(c.audioCodebookSize)) })
            } else {
                input.appendText(Int(random.next() % UInt64(min(c.text.vocabSize, 128_000))))
            }
        }
        input.appendText(c.audioOutBOSTokenId)
        return input
    }

    /// Median seconds of one audio step (one position through every layer and the audio head) of every
    /// session, together.
    static func decode(_ sessions: [Session], steps: Int) throws -> Double {
        let c = sessions[0].model.configuration
        var step = ModelInput(numCodebooks: c.audioNumCodebooks)
        step.reserveCapacity(1)
        var inputs = [ModelInput](repeating: step, count: sessions.count)
        var frames = [[Int]](repeating: [Int](repeating: c.audioStreamBOSId, count: c.audioNumCodebooks), count: sessions.count)
        let heads = [OutputHead](repeating: .audio, count: sessions.count)
        var times: [Double] = []
        for _ in 0..<steps + 1 {
            for i in sessions.indices {
                inputs[i].removeAll()
                inputs[i].appendAudio(.audioOut, frame: frames[i])
            }
            let start = DispatchTime.now().uptimeNanoseconds
            try Session.step(sessions, inputs: inputs, heads: heads)
            for (i, session) in sessions.enumerated() {
                let logits = session.audioLogits
                for k in 0..<c.audioNumCodebooks {
                    frames[i][k] = Vector.argmax(logits.baseAddress! + k * c.audioCodebookEntries, count: c.audioCodebookEntries)
                }
            }
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.dropFirst().sorted()[steps / 2]  // the first step warms the pages up
    }
}

/// The process's peak resident memory (Linux `VmHWM`), resettable between phases.
enum PeakMemory {
    static func reset() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    static func current() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            // "VmHWM:\t 123456 kB", the tab alone once the number fills the field
            let kilobytes = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Int($0) }.first ?? 0
            return kilobytes * 1024
        }
        return 0
    }
}
