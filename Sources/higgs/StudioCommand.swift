import ArgumentParser
import Foundation
import Studio
import StudioTerminal

struct StudioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "studio",
        abstract: "Open the studio (the default when no subcommand is given).",
        discussion: """
            With no FILE, opens untitled.higgs in the current folder, or a new project holding the sample \
            script when it does not exist. The checkpoints are looked for in --model / --audio-tokenizer, \
            $HIGGS_MODEL / $HIGGS_AUDIO_TOKENIZER, ~/.config/higgs-studio/config.yaml, the Hugging Face cache \
            (`higgs download` puts them there), then ~/models/...; `higgs doctor` shows where. Without them the \
            studio still edits, casts and exports text.
            """
    )

    @Argument(help: "A project file (*.higgs) to open or create.")
    var project: String?

    @Option(help: "The generation model folder (config.json, tokenizer.json, model.safetensors[.index.json]).")
    var model: String?

    @Option(help: "The audio tokenizer folder (config.json, model.pth).")
    var audioTokenizer: String?

    @Option(help: "The ALSA playback device (see `aplay -L`).")
    var audioDevice = "default"

    @Option(name: .customLong("audio-config"),
            help: "An ALSA configuration file (asoundrc syntax) read over the system's, e.g. one defining --audio-device.")
    var audioConfig: String?

    @Option(help: "Weight precision: bf16, q8 or q4 (default q4: the fastest; q8 and bf16 are closer to the published weights).")
    var precision: String?

    @Option(help: "Threads for generation (default: the engine's).")
    var threads: Int?

    @Option(help: "The voices folder: NAME.wav + NAME.txt clips and profile.yaml (default: Voices/).")
    var voices: String?

    @Option(help: "The scene descriptions folder: NAME.txt (default: Scenes/).")
    var scenes: String?

    func validate() throws {
        if let precision, !["bf16", "q8", "q4"].contains(precision) {
            throw ValidationError("--precision must be bf16, q8 or q4, not '\(precision)'")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let options = StudioOptions(
            projectPath: project,
            voicesFolder: StudioFolders.locate("Voices", flag: voices),
            scenesFolder: StudioFolders.locate("Scenes", flag: scenes),
            audioDevice: audioDevice,
            audioConfiguration: audioConfig.map { URL(fileURLWithPath: $0) },
            engine: EngineLocation(modelFlag: model, audioTokenizerFlag: audioTokenizer, precision: precision, threads: threads),
            makeSynthesizer: { try EngineSynthesizer($0, status: $1) })
        let status: Int32
        do {
            status = try StudioScreen.run(options)
        } catch {
            FileHandle.standardError.write(Data("higgs: \(error)\n".utf8))
            throw ExitCode(1)
        }
        if status != 0 { throw ExitCode(status) }
    }
}
