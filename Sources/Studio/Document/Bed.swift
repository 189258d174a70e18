import Foundation

/// A sound laid under the dialogue from a note on: `# bed: rain.wav -18 dB` (a file, WAV or MP3, looped,
/// at that gain; -24 dB when none is given) starts one, `# bed: none` ends it. Room tone under a scene,
/// music under a podcast's opening.
public enum BedNote: Equatable, Sendable {
    case start(file: String, gain: Double)
    case stop

    /// The gain of a bed written without one: well under the voices.
    public static let defaultGain = -24.0

    /// The value of a `# bed:` note; nil when it names no file and is not `none`/`off`/empty.
    init?(_ value: String) {
        let text = value.trimmingCharacters(in: .whitespaces)
        if text.isEmpty || ["none", "off"].contains(text.lowercased()) {
            self = .stop
            return
        }
        var words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        var gain = BedNote.defaultGain
        // A gain at the end: `-18 dB`, `-18dB` or `-18`.
        if words.count >= 2, words.last?.lowercased() == "db" { words.removeLast() }
        if words.count >= 2, let last = words.last {
            let number = last.lowercased().hasSuffix("db") ? String(last.dropLast(2)) : last
            if let value = ScriptLine.number(number), value.isFinite, value <= 12, value >= -60 {
                gain = value
                words.removeLast()
            }
        }
        self = .start(file: words.joined(separator: " "), gain: gain)
    }

    /// The sound file a bed names, found from the project's folder (nil for `# bed: none`).
    public func file(besideProjectIn folder: URL) -> URL? {
        guard case .start(let file, _) = self else { return nil }
        return file.hasPrefix("/") ? URL(fileURLWithPath: file) : folder.appendingPathComponent(file)
    }
}

extension ScriptLine {
    /// Why a note does nothing (`noteProblem`), or why its bed cannot be laid: no such file where the project is.
    /// Said as the note is written, and by `higgs render` before it generates, not at the export hours later.
    public func noteProblem(projectFolder: URL) -> String? {
        if let problem = noteProblem { return problem }
        guard let file = bed?.file(besideProjectIn: projectFolder) else { return nil }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file.path, isDirectory: &isFolder) else {
            return "there is no sound file \(file.path) (a bed's file is found from the project's folder)"
        }
        return isFolder.boolValue ? "\(file.path) is a folder, not a sound file" : nil
    }
}
