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
            studio still edits, casts and exports text, and the first key that asks for speech offers to download \
            them (when no flag, variable or config file names other folders). The config file also sets \
            precision:, threads:, audio_device:, record_device:, voices:, scenes: and prefill_ahead: (on or off) for the flags not given.
            """
    )

    @Argument(help: "A project file (*.higgs) to open or create.")
    var project: String?

    @OptionGroup var engine: StudioEngineOptions

    @Option(help: "The ALSA playback device (see `aplay -L`; default: the config file's `audio_device:`, else `default`).")
    var audioDevice: String?

    @Option(name: .customLong("audio-config"),
            help: "An ALSA configuration file (asoundrc syntax) read over the system's, e.g. one defining --audio-device.")
    var audioConfig: String?

    @Option(help: "The ALSA device a voice is recorded from (see `arecord -L`; default: the config file's `record_device:`, else the playback device).")
    var recordDevice: String?

    func run() throws {
        // A word that is no file and no project name is most likely a command that is not one (`higgs export`).
        if let project, !project.contains("/"), URL(fileURLWithPath: project).pathExtension.isEmpty,
           !FileManager.default.fileExists(atPath: project) {
            throw CommandFailure("'\(project)' is not a command (`higgs --help` lists them) nor a file here; a new project's name ends in .higgs")
        }
        let location = engine.location
        let options = StudioOptions(
            projectPath: project,
            voicesFolder: engine.voicesFolder,
            scenesFolder: engine.scenesFolder,
            audioDevice: audioDevice ?? location.config.audioDevice ?? "default",
            audioConfiguration: audioConfig.map { URL(fileURLWithPath: $0) },
            recordDevice: recordDevice ?? location.config.recordDevice,
            engine: location,
            prefillAhead: location.config.prefillAhead ?? true,
            makeSynthesizer: { try EngineSynthesizer($0, status: $1) })
        let status: Int32
        do {
            status = try StudioScreen.run(options)
        } catch {
            Console.error("higgs: \(error)\n")
            throw ExitCode(1)
        }
        if status != 0 { throw ExitCode(status) }
    }
}
