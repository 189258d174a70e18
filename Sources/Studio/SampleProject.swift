import Foundation
import ModelHub

/// The project `higgs` opens when no file is given and `untitled.higgs` does not exist yet in the current
/// folder: a short late-night radio scene with four cast voices from `Voices/profile.yaml`, event tags and a
/// Mandarin line. Built into the binary, so the first screen has something to play with anywhere.
public enum SampleProject {
    /// The file name a new project is saved as.
    public static let fileName = "untitled.higgs"

    public static let text = """
        scene: late_night_radio

        cast:
          Mara: profile:warm_host
          Theo: profile:scottish_lad
          Ines: profile:french_chef
          Lin: profile:mandarin_host

        settings:
          temperature: 0.7
          top-k: 50
          top-p: 0.95
          ras-window: 7
          ras-repeats: 2
          seed: 42
          chunk-buffer: 2
          max-new-tokens: 2048
          gap: 0.4
          trim: on
          loudness: off
          mp3: off
          audiobook: off
          runaway-stop: on
          fit-cues: off

        script:
        [Mara] Good evening, night owls, and welcome back to The Small Hours.
        [Mara] Tonight we are talking about the food that got you through the week.
        [Theo] Mine was toast. [laugh] I'm not proud of it, but it was excellent toast.
        [Ines] Toast is a canvas, Theo! A little butter, a pinch of salt, a tomato rubbed on top. Voilà.
        [Lin] 我最喜欢外婆做的葱油饼，又香又脆。
        [Mara] Scallion pancakes at two in the morning. Now I'm hungry.
        [Theo] Don't worry, I'll make you toast.

        """

    public static var project: Project {
        // The text above is canonical and tested; a failure here is a bug in the studio, not user input.
        (try? ProjectFormat.parse(text, file: "sample")) ?? Project()
    }
}

/// Finds the `Voices/` and `Scenes/` folders: the flag if given, else the folder in the current
/// directory, else the one the config file names (`voices:`, `scenes:`: a library kept in one place for
/// every project), else the one of the source tree the binary was built in (`swift run` from anywhere).
public enum StudioFolders {
    public static func locate(_ name: String, flag: String?) -> URL {
        locate(name, flag: flag, configured: configured(name), executable: Bundle.main.executableURL)
    }

    public static func locate(_ name: String, flag: String?, configured: String?, executable: URL?) -> URL {
        if let flag, !flag.isEmpty { return URL(fileURLWithPath: flag) }
        let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(name)
        if isFolder(here) { return here }
        if let configured, !configured.isEmpty {
            let home = ProcessInfo.processInfo.environment["HOME"].map { URL(fileURLWithPath: $0) }
                ?? FileManager.default.homeDirectoryForCurrentUser
            return URL(fileURLWithPath: EngineLocation.expand(configured, home: home))
        }
        var dir = executable?.resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            guard let d = dir else { break }
            let candidate = d.appendingPathComponent(name)
            if isFolder(candidate), isFolder(d.appendingPathComponent("Sources")) { return candidate }
            dir = d.deletingLastPathComponent()
        }
        return here
    }

    /// The config file's folder for `Voices` or `Scenes` (nil when it names none, or cannot be read).
    public static func configured(_ name: String) -> String? {
        let config = try? StudioConfig(environment: ProcessInfo.processInfo.environment)
        return name == "Voices" ? config?.voices : name == "Scenes" ? config?.scenes : nil
    }

    static func isFolder(_ url: URL) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) && isDir.boolValue
    }
}
