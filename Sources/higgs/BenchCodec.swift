import ArgumentParser
import AudioCodec
import Checkpoint
import Foundation
import Generation
import Kernels

/// `higgs bench codec`: the audio tokenizer's speed at full published widths.
struct BenchCodec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codec",
        abstract: "Time the audio tokenizer's decode (whole and streaming) and encode at full size."
    )

    @Option(name: .customLong("audio-tokenizer"), help: "A tokenizer folder; default: random weights in the published layout.")
    var audioTokenizer: String?

    @Option(help: "Seconds of audio to decode and encode.")
    var seconds = 10

    @Option(help: "Threads for the kernels and OpenBLAS.")
    var threads = ThreadCount.defaultCount

    @Option(help: "Frames per append in the streaming decode.")
    var chunk = 5

    @Flag(help: "Skip the encoder (HuBERT and the encoders load lazily; decode-only is quicker).")
    var decodeOnly = false

    @Option(name: .customLong("write-random-tokenizer"),
            help: "Write a full-size random tokenizer (config.json, model.pth in the published layout) to this folder and stop.")
    var writeRandomTokenizer: String?

    @Option(help: "Runs of each measurement; the best is reported (other work on the machine only slows runs down).")
    var runs = 3

    /// A full-size random tokenizer folder, its model.pth written the way torch.save writes one.
    static func writeRandom(to folder: URL) throws {
        try TokenizerLayout.writeRandomFolder(folder, configJSON: TokenizerLayout.publishedConfigJSON)
        print("wrote \(folder.path)")
    }

    /// The published tokenizer with random weights, held in memory.
    static func randomTokenizer() throws -> AudioTokenizer {
        let config = try JSONDecoder().decode(TokenizerConfiguration.self, from: Data(TokenizerLayout.publishedConfigJSON.utf8))
        return try AudioTokenizer(configuration: config, weights: TokenizerLayout.randomStore(config))
    }

    /// Random codes of `seconds` of audio.
    static func randomCodes(_ tokenizer: AudioTokenizer, seconds: Int) throws -> AudioCodes {
        var rng = SplitMix64(seed: 5)
        return try AudioCodes(rows: (0..<tokenizer.codebookCount).map { _ in
            (0..<seconds * tokenizer.frameRate).map { _ in rng.below(tokenizer.codebookSize) }
        })
    }

    /// The best of `runs` one-shot decodes of `seconds` of random codes: (wall seconds, audio seconds).
    static func timeDecode(_ tokenizer: AudioTokenizer, seconds: Int, runs: Int) throws -> (Double, Double) {
        let codes = try randomCodes(tokenizer, seconds: seconds)
        _ = try tokenizer.decode(codes.frames(0..<min(codes.frameCount, 25)))  // warm up
        var best = Double.infinity
        var samples = 0
        for _ in 0..<max(1, runs) {
            let start = Date()
            samples = try tokenizer.decode(codes).count
            best = min(best, Date().timeIntervalSince(start))
        }
        return (best, Double(samples) / Double(tokenizer.sampleRate))
    }

    /// The process's peak resident memory (VmHWM), in GB as the weights are counted.
    static func peakMemory() -> String {
        let bytes = PeakMemory.current()
        return bytes == 0 ? "unknown" : String(format: "%.2f GB", Double(bytes) / 1e9)
    }

    func run() throws {
        ThreadPool.setSharedThreads(threads)
        func time<T>(_ body: () throws -> T) rethrows -> (T, Double) {
            let start = Date()
            let value = try body()
            return (value, Date().timeIntervalSince(start))
        }
        /// Seconds of CPU (user + system) this process has used.
        func cpuSeconds() -> Double {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        }
        if let folder = writeRandomTokenizer {
            try Self.writeRandom(to: URL(fileURLWithPath: folder))
            return
        }
        let tokenizer: AudioTokenizer
        if let audioTokenizer {
            let (t, load) = try time { try AudioTokenizer(folder: URL(fileURLWithPath: audioTokenizer)) }
            tokenizer = t
            print(String(format: "loaded %@ in %.2f s", audioTokenizer, load))
        } else {
            let (t, made) = try time { try Self.randomTokenizer() }
            tokenizer = t
            print(String(format: "random full-size tokenizer made and loaded in %.2f s", made))
        }
        print("threads \(threads), \(System.physicalCores) physical cores, \(seconds) s of audio")

        let frames = seconds * tokenizer.frameRate
        let codes = try Self.randomCodes(tokenizer, seconds: seconds)
        var rng = SplitMix64(seed: 6)
        _ = try tokenizer.decode(codes.frames(0..<min(frames, 25)))  // warm up
        func best<T>(_ body: () throws -> T) rethrows -> (T, Double, [Double]) {
            var times: [Double] = []
            var value: T?
            for _ in 0..<max(1, self.runs) {
                let (v, t) = try time(body)
                value = v
                times.append(t)
            }
            return (value!, times.min()!, times)
        }
        func listed(_ times: [Double]) -> String { times.map { String(format: "%.2f", $0) }.joined(separator: " ") }
        var cpu = cpuSeconds()
        let (wave, decodeTime, decodeRuns) = try best { try tokenizer.decode(codes) }
        let decodeCPU = (cpuSeconds() - cpu) / decodeRuns.reduce(0, +)
        let audioSeconds = Double(wave.count) / Double(tokenizer.sampleRate)
        print(String(format: "decode:    %.3f s for %.1f s of audio: %.1fx real time (runs: %@ s; %.2f cores busy)",
                     decodeTime, audioSeconds, audioSeconds / decodeTime, listed(decodeRuns), decodeCPU))

        var latency = 0
        let (streamedCount, streamTime, streamRuns) = try best { () -> Int in
            let decoder = tokenizer.streamingDecoder(batchFrames: 1)
            latency = decoder.latencyFrames
            var count = 0
            var start = 0
            while start < frames {
                let end = min(start + chunk, frames)
                count += try decoder.append(codes.frames(start..<end)).count
                start = end
            }
            return count + decoder.finish().count
        }
        print(String(format: "streaming: %.3f s (%d frames per append, %d frames of latency): %.1fx real time (runs: %@ s)",
                     streamTime, chunk, latency, Double(streamedCount) / Double(tokenizer.sampleRate) / streamTime, listed(streamRuns)))

        print("peak memory after decoding: \(Self.peakMemory())" + (audioTokenizer == nil ? " (the random weights held in memory take 0.81 GB of it)" : ""))
        guard !decodeOnly else { return }
        let samples = (0..<(seconds * tokenizer.sampleRate)).map { i -> Float in
            let t = Float(i) / Float(tokenizer.sampleRate)
            return 0.3 * sin(2 * .pi * 180 * t) * (0.6 + 0.4 * sin(2 * .pi * 3 * t)) + 0.01 * Float(rng.below(1000)) / 1000
        }
        let (_, firstEncode) = try time { try tokenizer.encode(Array(samples.prefix(tokenizer.sampleRate)), sampleRate: tokenizer.sampleRate) }
        cpu = cpuSeconds()
        let (encoded, encodeTime, encodeRuns) = try best { try tokenizer.encode(samples, sampleRate: tokenizer.sampleRate) }
        let encodeCPU = (cpuSeconds() - cpu) / encodeRuns.reduce(0, +)
        print(String(format: "encode:    %.3f s for %.1f s of audio (%d frames): %.1fx real time (runs: %@ s; %.2f cores busy; the first call, loading the encoder, took %.2f s)",
                     encodeTime, Double(seconds), encoded.frameCount, Double(seconds) / encodeTime, listed(encodeRuns), encodeCPU, firstEncode))
        print("peak memory after encoding: \(Self.peakMemory())")
    }
}
