import Foundation
import Prompt
import Generation

/// The codes file of `higgs generate --codes-out`: `{"frame_rate": 25, "num_codebooks": 8, "codes": [[...] x 8],
/// "chunks": [{"text": ..., "prompt_ids": [...], "codes": [[...] x 8]}]}`. A take is one chunk.
public enum CodesFile {
    public struct Chunk: Equatable, Sendable {
        public var text: String
        public var promptIDs: [Int]
        public var codes: AudioCodes

        public init(text: String, promptIDs: [Int], codes: AudioCodes) {
            self.text = text
            self.promptIDs = promptIDs
            self.codes = codes
        }
    }

    /// The file's bytes (compact JSON, one codebook row per line).
    public static func encode(_ chunks: [Chunk]) -> Data {
        var all = AudioCodes(numCodebooks: chunks.first?.codes.numCodebooks ?? AudioFormat.codebooks)
        for chunk in chunks where chunk.codes.numCodebooks == all.numCodebooks { all.append(contentsOf: chunk.codes) }
        func rows(_ codes: AudioCodes, indent: String) -> String {
            "[\n" + codes.rows.map { indent + "  [" + $0.map(String.init).joined(separator: ",") + "]" }
                .joined(separator: ",\n") + "\n\(indent)]"
        }
        var out = "{\"frame_rate\": \(AudioFormat.frameRate), \"num_codebooks\": \(all.numCodebooks),\n"
        out += "\"codes\": " + rows(all, indent: "") + ",\n\"chunks\": [\n"
        out += chunks.map { chunk in
            "  {\"text\": \(jsonString(chunk.text)),\n   \"prompt_ids\": ["
                + chunk.promptIDs.map(String.init).joined(separator: ",") + "],\n   \"codes\": "
                + rows(chunk.codes, indent: "   ") + "}"
        }.joined(separator: ",\n")
        out += "\n]}\n"
        return Data(out.utf8)
    }

    /// Reads the chunks of a codes file; `file` names it in errors.
    public static func decode(_ data: Data, file: String) throws -> [Chunk] {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw StudioError("\(file): not a codes file (invalid JSON)")
        }
        func codes(_ value: Any?) throws -> AudioCodes {
            guard let rows = value as? [[NSNumber]], !rows.isEmpty, let codes = try? AudioCodes(rows: rows.map { $0.map(\.intValue) })
            else { throw StudioError("\(file): codes must be equal-length rows of integers") }
            return codes
        }
        guard let chunks = root["chunks"] as? [[String: Any]] else {
            return [Chunk(text: "", promptIDs: [], codes: try codes(root["codes"]))]
        }
        return try chunks.map {
            Chunk(text: $0["text"] as? String ?? "",
                  promptIDs: (($0["prompt_ids"] as? [NSNumber]) ?? []).map(\.intValue),
                  codes: try codes($0["codes"]))
        }
    }

    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
