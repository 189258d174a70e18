import Foundation
import Prompt

extension SceneLibrary {
    /// The text given to the model for a choice (nil for none); an unknown name is an error naming it.
    public func text(for choice: SceneChoice) throws -> String? {
        switch choice {
        case .none: return nil
        case .inline(let text): return text
        case .named(let name):
            guard let scene = scene(named: name) else {
                if let problem = unreadable[name] { throw StudioError(problem) }
                let known = scenes.map(\.name).joined(separator: ", ")
                throw StudioError("no scene '\(name)' in \(folder.path)" + (known.isEmpty ? "" : " (scenes: \(known))"))
            }
            return scene.text
        }
    }
}
