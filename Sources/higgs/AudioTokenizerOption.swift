import ArgumentParser
import AudioCodec
import Foundation
import Studio

/// `--audio-tokenizer` for the commands that need only the audio tokenizer (`decode`, `encode`): the folder
/// given, or else the one the studio and `higgs generate` would find (variable, config file, Hugging Face cache).
struct AudioTokenizerOption: ParsableArguments {
    @Option(name: .customLong("audio-tokenizer"),
            help: "The audio tokenizer folder (config.json, model.pth); by default found as the studio finds it (`higgs doctor` shows where).")
    var audioTokenizer: String?

    /// The tokenizer, or one line saying where it was looked for.
    func load() throws -> AudioTokenizer {
        let location = EngineLocation(modelFlag: nil, audioTokenizerFlag: audioTokenizer)
        // A folder given by flag loads (or fails) as it is, naming the file that is wrong.
        if audioTokenizer == nil, let missing = location.missingAudioTokenizer {
            throw CodecError("no audio tokenizer: looked for \(missing); `higgs doctor` shows every place looked at")
        }
        return try AudioTokenizer(folder: location.audioTokenizer)
    }
}
