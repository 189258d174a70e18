import ArgumentParser
import AudioCodec
import AudioIO
import Foundation
import Studio
import Generation

/// `higgs decode`: a codes file to a WAV through the audio tokenizer.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode a codes file (the \"codes\" array, 8 x frames) to a 24 kHz WAV."
    )

    @OptionGroup var audioTokenizer: AudioTokenizerOption

    @Option(help: "A codes file, as `higgs generate --codes-out` or `higgs encode` write it.")
    var codes: String

    @Option(name: .customLong("out-path"), help: "The WAV file to write.")
    var outPath: String

    @Flag(help: "Write 32-bit float samples instead of 16-bit PCM.")
    var float = false

    func run() throws {
        try OutputFile.check(outPath, flag: "--out-path")
        let codes = CodesFile.codes(of: try CodesFile.read(URL(fileURLWithPath: codes)))
        let tokenizer = try audioTokenizer.load()
        let start = Date()
        let samples: [Float]
        do { samples = try tokenizer.decode(codes) } catch let error as CodecError {
            // Codes this tokenizer cannot decode: the codes file is what is wrong (or the tokenizer it was made for).
            throw CodecError("\(self.codes): \(error)")
        }
        let seconds = Date().timeIntervalSince(start)
        try WAVFile.write(samples, sampleRate: tokenizer.sampleRate, to: URL(fileURLWithPath: outPath), format: float ? .float32 : .pcm16)
        let duration = Double(samples.count) / Double(tokenizer.sampleRate)
        Console.error(String(format: "%@: %d frames, %.2f s of audio, decoded in %.2f s (%.1fx real time)\n",
                                     outPath, codes.frameCount, duration, seconds, duration / max(seconds, 1e-9)))
    }
}
