import Foundation

/// How a long transcript is cut into the chunks generated one after another (the reference CLI's
/// `--chunk-method`); each generated chunk becomes context for the next.
public enum ChunkMethod: Equatable, Sendable {
    /// The whole transcript at once.
    case none
    /// A new chunk at every line that starts with a `[SPEAKERn]` tag; `maxTurns` turns per chunk.
    case speaker(maxTurns: Int)
    /// Groups of `maxWords` space-separated words per paragraph (English and other space-separated
    /// scripts; the reference cuts Chinese with jieba, which is not reproduced here).
    case word(maxWords: Int)

    /// The chunks of a normalised transcript, exactly as the reference cuts them.
    public func chunks(of text: String) throws -> [String] {
        switch self {
        case .none:
            return [text]
        case .speaker(let maxTurns):
            var turns: [String] = []
            var current = ""
            for line in PythonText.split(text, "\n").map(PythonText.strip) {
                if PythonText.hasPrefix(line, "[SPEAKER") || PythonText.hasPrefix(line, "<|speaker_id_start|>") {
                    if !current.isEmpty { turns.append(PythonText.strip(current)) }
                    current = line
                } else {
                    current = current.isEmpty ? line : current + "\n" + line
                }
            }
            if !current.isEmpty { turns.append(PythonText.strip(current)) }
            guard maxTurns > 1 else { return turns }
            return stride(from: 0, to: turns.count, by: maxTurns).map {
                turns[$0..<min($0 + maxTurns, turns.count)].joined(separator: "\n")
            }
        case .word(let maxWords):
            if text.unicodeScalars.contains(where: Self.isCJK) {
                throw PromptError("word chunking of Chinese, Japanese or Korean text is not supported (the reference cuts it with jieba); use --chunk-method speaker")
            }
            let size = max(maxWords, 1)
            var chunks: [String] = []
            for paragraph in PythonText.split(text, "\n\n") {
                let words = PythonText.split(paragraph, " ")
                for start in stride(from: 0, to: words.count, by: size) {
                    chunks.append(words[start..<min(start + size, words.count)].joined(separator: " "))
                }
                chunks[chunks.count - 1] += "\n\n"
            }
            return chunks
        }
    }

    static func isCJK(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x3040...0x30FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xAC00...0xD7AF, 0xF900...0xFAFF, 0x20000...0x2FA1F:
            return true
        default:
            return false
        }
    }
}

/// A problem with a transcript, a voice, a scene or a prompt: one line for the user.
public struct PromptError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
