import Foundation
import Prompt

/// Scene descriptions: `Scenes/NAME.txt`, each a paragraph telling the model where the audio is recorded.
public struct SceneLibrary: Sendable {
    public struct Scene: Equatable, Sendable {
        public var name: String
        public var text: String
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
                return Scene(name: name, text: text.trimmingCharacters(in: .whitespacesAndNewlines))
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

    /// The text given to the model for a choice (nil for none); an unknown name is an error naming it.
    public func text(for choice: SceneChoice) throws -> String? {
        switch choice {
        case .none: return nil
        case .inline(let text): return text
        case .named(let name):
            guard let scene = scene(named: name) else {
                let known = scenes.map(\.name).joined(separator: ", ")
                throw StudioError("no scene '\(name)' in \(folder.path)" + (known.isEmpty ? "" : " (scenes: \(known))"))
            }
            return scene.text
        }
    }
}
