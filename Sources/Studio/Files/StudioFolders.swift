import Foundation
import ModelHub

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
