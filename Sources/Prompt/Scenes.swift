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

    public init(folder: URL) {
        self.folder = folder
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        scenes = names.filter { $0.hasSuffix(".txt") }.map { String($0.dropLast(4)) }
            .filter(SceneLibrary.isValidName).sorted()
            .compactMap { name in
                guard let text = try? String(contentsOf: folder.appendingPathComponent("\(name).txt"), encoding: .utf8)
                else { return nil }
                return Scene(name: name, text: PythonText.strip(text))
            }
    }

    public init(scenes: [Scene], folder: URL = URL(fileURLWithPath: "Scenes")) {
        self.folder = folder
        self.scenes = scenes
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
