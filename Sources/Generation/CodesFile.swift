import Foundation

/// The codes file (`higgs generate --codes-out`, `higgs encode`, the studio's takes): `{"frame_rate": 25, "num_codebooks": 8, "codes": [[...] x 8],
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

    /// The file's bytes (compact JSON, one codebook row per line); `codes` is the chunks' codes in order.
    public static func encode(_ chunks: [Chunk], frameRate: Int = 25) -> Data {
        var all = AudioCodes(numCodebooks: chunks.first?.codes.numCodebooks ?? 8)
        for chunk in chunks where chunk.codes.numCodebooks == all.numCodebooks { all.append(contentsOf: chunk.codes) }
        func rows(_ codes: AudioCodes, indent: String) -> String {
            "[\n" + codes.rows.map { indent + "  [" + $0.map(String.init).joined(separator: ",") + "]" }
                .joined(separator: ",\n") + "\n\(indent)]"
        }
        var out = "{\"frame_rate\": \(frameRate), \"num_codebooks\": \(all.numCodebooks),\n"
        out += "\"codes\": " + rows(all, indent: "") + ",\n\"chunks\": [\n"
        out += chunks.map { chunk in
            "  {\"text\": \(jsonString(chunk.text)),\n   \"prompt_ids\": ["
                + chunk.promptIDs.map(String.init).joined(separator: ",") + "],\n   \"codes\": "
                + rows(chunk.codes, indent: "   ") + "}"
        }.joined(separator: ",\n")
        out += "\n]}\n"
        return Data(out.utf8)
    }

    /// A codes file of one clip and no chunks (`higgs encode`, the voice code cache).
    public static func encode(codes: AudioCodes, frameRate: Int = 25) -> Data {
        let rows = codes.rows.map { "  [" + $0.map(String.init).joined(separator: ",") + "]" }
        return Data(("{\"frame_rate\": \(frameRate), \"num_codebooks\": \(codes.numCodebooks),\n\"codes\": [\n"
            + rows.joined(separator: ",\n") + "\n]}\n").utf8)
    }

    /// Reads the chunks of a codes file (a file with only `codes` is one chunk); `file` names it in errors.
    public static func decode(_ data: Data, file: String) throws -> [Chunk] {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw GenerationError("\(file): not a codes file (invalid JSON)")
        }
        func codes(_ value: Any?) throws -> AudioCodes {
            guard let rows = value as? [[NSNumber]], !rows.isEmpty,
                  rows.allSatisfy({ $0.allSatisfy { String(cString: $0.objCType) != "c" && $0.doubleValue == $0.doubleValue.rounded() } }),
                  let codes = try? AudioCodes(rows: rows.map { $0.map(\.intValue) })
            else { throw GenerationError("\(file): codes must be equal-length rows of integers") }
            return codes
        }
        if let declared = root["num_codebooks"] as? Int, let rows = root["codes"] as? [Any], declared != rows.count {
            throw GenerationError("\(file): num_codebooks is \(declared) but codes has \(rows.count) rows")
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

    /// Reads a codes file from disk.
    public static func read(_ url: URL) throws -> [Chunk] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw GenerationError("\(url.path): \(FileManager.default.fileExists(atPath: url.path) ? "cannot read" : "file not found")")
        }
        return try decode(data, file: url.path)
    }

    /// All chunks' codes in order (the file's `codes`).
    public static func codes(of chunks: [Chunk]) -> AudioCodes {
        var all = AudioCodes(numCodebooks: chunks.first?.codes.numCodebooks ?? 8)
        for chunk in chunks { all.append(contentsOf: chunk.codes) }
        return all
    }

    /// A JSON string literal of `text`.
    public static func jsonString(_ text: String) -> String {
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

extension AudioCodes {
    /// These codes as a codes file of their own.
    public func codesFile(frameRate: Int = 25) -> Data { CodesFile.encode(codes: self, frameRate: frameRate) }
}
