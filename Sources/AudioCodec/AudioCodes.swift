import Foundation

/// Audio codes: `codebooks[q][t]` is codebook `q`'s code at frame `t` (the tokenizer's 8 x T).
public struct AudioCodes: Equatable, Sendable {
    public var codebooks: [[Int]]

    public init(codebooks: [[Int]]) {
        self.codebooks = codebooks
    }

    /// Codes from frames, each holding one code per codebook.
    public init(frames: [[Int]], codebookCount: Int) {
        codebooks = (0..<codebookCount).map { q in frames.map { $0[q] } }
    }

    public var codebookCount: Int { codebooks.count }
    public var frameCount: Int { codebooks.first?.count ?? 0 }

    /// One code per codebook at frame `t`.
    public func frame(_ t: Int) -> [Int] { codebooks.map { $0[t] } }

    /// Frames `range` of every codebook.
    public func frames(_ range: Range<Int>) -> AudioCodes {
        AudioCodes(codebooks: codebooks.map { Array($0[range]) })
    }

    /// Reads the `codes` array of a codes file (`{"frame_rate": 25, "num_codebooks": 8, "codes": [[...] x 8], ...}`,
    /// as `higgs generate --codes-out` and `higgs encode` write it).
    public static func read(_ url: URL) throws -> AudioCodes {
        func fail(_ problem: String) -> CodecError { CodecError("\(url.path): \(problem)") }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw fail(FileManager.default.fileExists(atPath: url.path) ? "cannot read" : "file not found")
        }
        guard let json = try? JSONSerialization.jsonObject(with: data), let object = json as? [String: Any] else {
            throw fail("not a JSON object (a codes file has {\"codes\": [[...], ...]})")
        }
        guard let rows = object["codes"] as? [Any] else { throw fail("no \"codes\" array") }
        var codebooks: [[Int]] = []
        for (q, row) in rows.enumerated() {
            guard let values = row as? [Any] else { throw fail("codes[\(q)] is not an array of codes") }
            codebooks.append(try values.enumerated().map { t, value in
                guard let number = value as? NSNumber, !(String(cString: number.objCType) == "c"),
                      number.doubleValue == number.doubleValue.rounded(), abs(number.doubleValue) < 1e9 else {
                    throw fail("codes[\(q)][\(t)] is not an integer")
                }
                return number.intValue
            })
        }
        if let first = codebooks.first, let bad = codebooks.firstIndex(where: { $0.count != first.count }) {
            throw fail("codes[\(bad)] has \(codebooks[bad].count) frames, codes[0] has \(first.count)")
        }
        if let declared = object["num_codebooks"] as? Int, declared != codebooks.count {
            throw fail("num_codebooks is \(declared) but codes has \(codebooks.count) rows")
        }
        return AudioCodes(codebooks: codebooks)
    }

    /// The codes file: `{"frame_rate": R, "num_codebooks": N, "codes": [[...] x N]}`.
    public func jsonData(frameRate: Int) -> Data {
        let rows = codebooks.map { "[" + $0.map(String.init).joined(separator: ",") + "]" }
        let text = "{\"frame_rate\": \(frameRate), \"num_codebooks\": \(codebookCount), \"codes\": [\n"
            + rows.joined(separator: ",\n") + "\n]}\n"
        return Data(text.utf8)
    }
}

/// A problem decoding or encoding audio; `description` is one line, shown as is.
public struct CodecError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
