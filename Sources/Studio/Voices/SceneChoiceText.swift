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

    /// ` (scenes: a, b)`, or nothing when the library has none.
    private var knownScenes: String {
        scenes.isEmpty ? "" : " (scenes: \(scenes.map(\.name).joined(separator: ", ")))"
    }
}
