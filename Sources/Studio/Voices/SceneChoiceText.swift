import Foundation
import Prompt

extension SceneLibrary {
    /// The text given to the model for a choice (nil for none); an unknown name is an error naming it, and so
    /// is a scene that holds one of the model's control tokens (`ControlTokens`).
    public func text(for choice: SceneChoice) throws -> String? {
        switch choice {
        case .none: return nil
        case .inline(let text):
            if let problem = ControlTokens.problem(in: text, "the scene description") { throw StudioError(problem) }
            return text
        case .named(let name):
            guard let scene = scene(named: name) else {
                if let problem = unreadable[name] { throw StudioError(problem) }
                throw StudioError("no scene '\(name)' in \(folder.path)" + knownScenes)
            }
            if let problem = ControlTokens.problem(in: scene.text, folder.appendingPathComponent("\(name).txt").path) {
                throw StudioError(problem)
            }
            return scene.text
        }
    }

    /// The text of the scene a `# scene:` note chooses. A value that is no scene's name is the scene's
    /// description, as written; but one that reads as a file's path (`../Scenes/quiet_studio`, `quiet_studio.txt`)
    /// or as a scene's name written otherwise (`quiet studio`, `Quiet Studio`) is far more likely a slip, and is
    /// an error saying what to write, rather than a description the lines would be made in silently.
    public func text(forNote choice: SceneChoice) throws -> String? {
        if case .inline(let value) = choice, let problem = slip(inNote: value) { throw StudioError(problem) }
        return try text(for: choice)
    }

    /// Why a `# scene:` note's value, read as a description, is more likely a slip; nil for a description.
    func slip(inNote value: String) -> String? {
        let note = "# scene: \(value)"
        let words = value.contains { $0.isWhitespace }
        var file = value.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? value
        let isPath = file != value && !words
        let isFileName = file.lowercased().hasSuffix(".txt") && !words
        if file.lowercased().hasSuffix(".txt") { file = String(file.dropLast(4)) }
        let close = scenes.first { Self.loose($0.name) == Self.loose(file) }
        if isPath || isFileName {
            let suggestion = close.map { " (# scene: \($0.name))" } ?? knownScenes
            return "\(note) is \(isPath ? "a path" : "a file's name"): a note names a scene of \(folder.path)\(suggestion) or describes one in words"
        }
        guard let close else { return nil }
        return "\(note) names no scene but nearly \(close.name): write # scene: \(close.name), or describe the scene in a sentence"
    }

    /// A name as a slip of the pen may leave it: case and accents dropped, spaces, `-` and `_` all one.
    private static func loose(_ name: String) -> String {
        name.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
            .split(whereSeparator: { $0.isWhitespace || $0 == "-" || $0 == "_" }).joined(separator: "_")
    }

    /// ` (scenes: a, b)`, or nothing when the library has none.
    private var knownScenes: String {
        scenes.isEmpty ? "" : " (scenes: \(scenes.map(\.name).joined(separator: ", ")))"
    }
}
