import ArgumentParser
import AudioCodec
import AudioIO
import Foundation
import Studio
import Generation

/// `higgs encode`: a WAV or MP3 file to a codes file through the audio tokenizer.
struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Encode a WAV or MP3 file (any rate, mono or stereo) to a codes file."
    )

    @OptionGroup var audioTokenizer: AudioTokenizerOption

    @Option(help: "The WAV or MP3 file to encode.")
    var audio: String

    @Option(name: .customLong("codes-out"), help: "The codes file to write (JSON).")
    var codesOut: String

    func run() throws {
        try OutputFile.check(codesOut, flag: "--codes-out")
        let clip = try AudioFile.read(URL(fileURLWithPath: audio))
        let tokenizer = try audioTokenizer.load()
        try tokenizer.loadEncoder()
        let start = Date()
        let codes = try tokenizer.encode(clip)
        let seconds = Date().timeIntervalSince(start)
        try OutputFile.write(codes.codesFile(frameRate: tokenizer.frameRate), to: codesOut)
        Console.error(String(format: "%@: %d frames from %.2f s of audio, encoded in %.2f s (%.1fx real time)\n",
                                     codesOut, codes.frameCount, clip.duration, seconds, clip.duration / max(seconds, 1e-9)))
    }
}
