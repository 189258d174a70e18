import Foundation
import ModelHub

/// A `Voices/` or `Scenes/` folder as found, with why it is the one used (for `higgs doctor` and the
/// commands' messages).
public struct StudioFolder: Equatable, Sendable {
    public enum Source: Equatable, Sendable {
        /// `--voices` / `--scenes`.
        case flag
        /// `Voices/` / `Scenes/` in the current folder.
        case currentFolder
        /// `voices:` / `scenes:` in the config file.
        case configFile
        /// The folder of the source tree the binary was built in.
        case builtTree
        /// None of these: `url` is the current folder's, where adding a voice makes it.
        case notFound
    }

    /// `Voices` or `Scenes`.
    public var name: String
    public var url: URL
    public var source: Source
    /// The source tree the binary was built in, as compiled into it (it may not be on this machine).
    public var builtTree: URL
    public var exists: Bool { StudioFolders.isFolder(url) }

    /// Why this folder is used, as a phrase: `--voices`, `in the current folder`, `` `voices:` in the config file ``, ...
    public var reason: String {
        let key = name.lowercased()
        switch source {
        case .flag: return "--\(key)"
        case .currentFolder: return "in the current folder"
        case .configFile: return "`\(key):` in the config file"
        case .builtTree: return "the source tree higgs was built in; there is no \(name)/ here and the config file names none"
        case .notFound: return "none found"
        }
    }

    /// One line saying what is wrong when the folder is not there: the one named does not exist, or none was
    /// found where it is looked for (nil when it is there).
    public var problem: String? {
        guard !exists else { return nil }
        let what = "\(name.lowercased()) folder"
        let missing = FileManager.default.fileExists(atPath: url.path) ? "a file, not a \(what)" : "no such \(what)"
        switch source {
        case .flag, .currentFolder: return "\(url.path): \(missing)"
        case .configFile: return "\(url.path): \(missing) (`\(name.lowercased()):` in the config file)"
        case .builtTree, .notFound:
            let tree = StudioFolders.isFolder(builtTree) ? "has no \(name)/" : "is not on this machine"
            return "no \(what): no \(name)/ here (\(url.deletingLastPathComponent().path)), no `\(name.lowercased()):` in the config file, "
                + "and the source tree higgs was built in (\(builtTree.path)) \(tree)"
        }
    }
}

/// Finds the `Voices/` and `Scenes/` folders: the flag if given, else the folder in the current
/// directory, else the one the config file names (`voices:`, `scenes:`: a library kept in one place for
/// every project), else the one of the source tree the binary was built in (so that `swift run` and the
/// built binary, run from any folder on the machine that built them, find the sample voices and scenes).
public enum StudioFolders {
    /// The source tree this file was compiled in (`Sources/Studio/Files/StudioFolders.swift`): a path fixed at
    /// build time, not looked for near the binary, so a copy of the binary elsewhere finds the same tree.
    public static let builtTree = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func locate(_ name: String, flag: String?) -> URL { find(name, flag: flag).url }

    public static func find(_ name: String, flag: String?) -> StudioFolder {
        find(name, flag: flag, configured: configured(name), builtTree: builtTree,
             currentFolder: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
    }

    public static func find(_ name: String, flag: String?, configured: String?, builtTree: URL, currentFolder: URL) -> StudioFolder {
        func found(_ url: URL, _ source: StudioFolder.Source) -> StudioFolder {
            StudioFolder(name: name, url: url, source: source, builtTree: builtTree)
        }
        if let flag, !flag.isEmpty { return found(URL(fileURLWithPath: flag), .flag) }
        let here = currentFolder.appendingPathComponent(name)
        if isFolder(here) { return found(here, .currentFolder) }
        if let configured, !configured.isEmpty {
            let home = ProcessInfo.processInfo.environment["HOME"].map { URL(fileURLWithPath: $0) }
                ?? FileManager.default.homeDirectoryForCurrentUser
            return found(URL(fileURLWithPath: EngineLocation.expand(configured, home: home)), .configFile)
        }
        let built = builtTree.appendingPathComponent(name)
        if isFolder(built) { return found(built, .builtTree) }
        return found(here, .notFound)
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
