import ArgumentParser
import Foundation
import Studio

/// The flags the studio and `higgs render` share: where the checkpoints, voices and scenes are, and how
/// the engine runs.
struct StudioEngineOptions: ParsableArguments {
    @Option(help: "The generation model folder (config.json, tokenizer.json, model.safetensors[.index.json]).")
    var model: String?

    @Option(help: "The audio tokenizer folder (config.json, model.pth).")
    var audioTokenizer: String?

    @Option(help: "Weight precision: bf16, q8 or q4 (default q4: the fastest; q8 and bf16 are closer to the published weights).")
    var precision: String?

    @Option(parsing: .unconditional, help: "Threads for generation (default: the engine's).")
    var threads: Int?

    @Option(help: FolderHelp.voices)
    var voices: String?

    @Option(help: FolderHelp.scenes)
    var scenes: String?

    func validate() throws {
        if let precision, !["bf16", "q8", "q4"].contains(precision) {
            throw ValidationError("--precision must be bf16, q8 or q4, not '\(precision)'")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    var location: EngineLocation {
        EngineLocation(modelFlag: model, audioTokenizerFlag: audioTokenizer, precision: precision, threads: threads)
    }

    var voicesFolder: URL { StudioFolders.locate("Voices", flag: voices) }
    var scenesFolder: URL { StudioFolders.locate("Scenes", flag: scenes) }
}

/// The help of `--voices` and `--scenes`, the same in every command that takes them: where the folder is found
/// when the flag is not given (`StudioFolders`).
enum FolderHelp {
    static let voices = help("voices folder: NAME.wav + NAME.txt clips and profile.yaml", "Voices")
    static let scenes = help("scene descriptions folder: NAME.txt", "Scenes")

    private static func help(_ what: String, _ name: String) -> ArgumentHelp {
        ArgumentHelp("The \(what) (default: \(name)/ here, else `\(name.lowercased()):` in the config file, else the \(name)/ of "
                     + "the source tree higgs was built in; `higgs doctor` shows which).")
    }
}

extension EngineLocation {
    /// The generation model's folder, there, or one line saying where it was looked for.
    func modelFolder() throws -> URL {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: model.path, isDirectory: &isFolder), isFolder.boolValue else {
            if modelSource == .flag { throw CommandFailure("\(model.path): no such model folder") }
            throw CommandFailure("no model: looked for \(missingModel ?? display(model)). "
                                 + "`higgs download` fetches it; `higgs doctor` shows every place looked at")
        }
        return model
    }
}
