import Foundation

/// Scene descriptions: `Scenes/NAME.txt`, each a paragraph telling the model where the audio is recorded.
public struct SceneLibrary: Sendable {
    public struct Scene: Equatable, Sendable {
        public var name: String
        public var text: String

        public init(name: String, text: String) {
            self.name = name
            self.text = text
        }
    }

    public let folder: URL
    /// Sorted by name.
    public let scenes: [Scene]
    /// Why each scene file that is there cannot be a scene (not UTF-8 text, no text), by name: a scene named
    /// in a script is then said to be that file's problem, not to be missing.
    public let unreadable: [String: String]

    public init(folder: URL) {
        self.folder = folder
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        var scenes: [Scene] = [], unreadable: [String: String] = [:]
        for name in names.filter({ $0.hasSuffix(".txt") }).map({ String($0.dropLast(4)) }).filter(SceneLibrary.isValidName).sorted() {
            let file = folder.appendingPathComponent("\(name).txt")
            guard let raw = try? String(contentsOf: file, encoding: .utf8) else {
                unreadable[name] = "\(file.path): not UTF-8 text (save it as UTF-8)"
                continue
            }
            let text = PythonText.strip(raw)
            guard !text.isEmpty else {
                unreadable[name] = "\(file.path): holds no text (a scene describes where the voices are)"
                continue
            }
            scenes.append(Scene(name: name, text: text))
        }
        self.scenes = scenes
        self.unreadable = unreadable
    }

    public init(scenes: [Scene], folder: URL = URL(fileURLWithPath: "Scenes")) {
        self.folder = folder
        self.scenes = scenes
        unreadable = [:]
    }

    /// Scene names are file names: letters, digits, `_` and `-`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy {
            ($0.isASCII && CharacterSet.alphanumerics.contains($0)) || $0 == "_" || $0 == "-"
        }
    }

    public func scene(named name: String) -> Scene? { scenes.first { $0.name == name } }

    /// The scene text for a `--scene-prompt` argument: a scene name of this library, else a file, else
    /// an error naming both places looked at; `empty` (as in the reference CLI) means no scene.
    public func resolve(_ argument: String) throws -> String? {
        if argument == "empty" || argument.isEmpty { return nil }
        if let scene = scene(named: argument) { return scene.text }
        if let problem = unreadable[argument] { throw PromptError(problem) }
        let file = URL(fileURLWithPath: argument)
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: file.path, isDirectory: &isFolder), !isFolder.boolValue {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else {
                throw PromptError("\(file.path): cannot read the scene (not UTF-8 text?)")
            }
            return PythonText.strip(text)
        }
        throw PromptError("no scene '\(argument)' in \(folder.path), and no such file")
    }
}
