import Foundation
import TestSupport
import Testing
import TextTokenizer

/// Bad tokenizer files give one-line errors naming the file and the problem.
@Suite struct MalformedFileTests {
    /// The small tokenizer's JSON, changed by `edit`, written to a temporary file and loaded.
    static func load(editing edit: (inout [String: Any]) -> Void) throws -> TokenizerError? {
        let data = try Data(contentsOf: Fixtures.url("TextTokenizerTests", "small-tokenizer.json"))
        var json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        edit(&json)
        return try load(JSONSerialization.data(withJSONObject: json))
    }

    static func load(_ contents: Data) throws -> TokenizerError? {
        let folder = try Fixtures.temporaryFolder("tokenizer")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("tokenizer.json")
        try contents.write(to: url)
        do {
            _ = try BPETokenizer(url: url)
            return nil
        } catch let error as TokenizerError {
            #expect(error.file == url.path)
            #expect(error.description.hasPrefix(url.path + ": "))
            #expect(!error.description.contains("\n"))
            return error
        }
    }

    static func model(_ json: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
        var model = json["model"] as! [String: Any]
        edit(&model)
        json["model"] = model
    }

    @Test func missingFile() throws {
        let folder = try Fixtures.temporaryFolder("tokenizer")
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: TokenizerError(file: folder.appendingPathComponent("tokenizer.json").path, "no such file")) {
            try BPETokenizer(modelFolder: folder)
        }
        #expect(throws: TokenizerError(file: folder.path, "is a folder, not a file")) {
            try BPETokenizer(url: folder)
        }
    }

    @Test func invalidJSON() throws {
        for text in ["", "{", "{\"model\": }", "[1, 2", "{\"a\": \"\\x\"}", "{\"a\": 1} x", "nul", "\"\\ud800\""] {
            let error = try Self.load(Data(text.utf8))
            #expect(error?.problem.hasPrefix("invalid JSON at byte ") == true, "\(text): \(String(describing: error))")
        }
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(try Self.load(Data(deep.utf8))?.problem.hasSuffix("nesting too deep") == true)
        // Truncated at every length: never accepted, never a crash.
        let data = try Data(contentsOf: Fixtures.url("TextTokenizerTests", "small-tokenizer.json"))
        for length in stride(from: 0, to: data.count - 2, by: 7) {
            #expect(try Self.load(data.prefix(length)) != nil, "accepted at \(length) bytes")
        }
    }

    @Test func missingParts() throws {
        #expect(try Self.load(Data("[]".utf8))?.problem == "the top level is not a JSON object")
        #expect(try Self.load { $0["model"] = nil }?.problem == "no \"model\" object")
        #expect(try Self.load { Self.model(&$0) { $0["vocab"] = nil } }?.problem == "the model has no \"vocab\" object")
        #expect(try Self.load { Self.model(&$0) { $0["merges"] = nil } }?.problem == "the model has no \"merges\" array")
        #expect(try Self.load { Self.model(&$0) { $0["merges"] = "a b" } }?.problem == "the model has no \"merges\" array")
    }

    @Test func unsupportedModels() throws {
        #expect(try Self.load { Self.model(&$0) { $0["type"] = "WordPiece" } }?.problem
            == "model type \"WordPiece\" is not supported (only BPE)")
        #expect(try Self.load { Self.model(&$0) { $0["byte_fallback"] = true } }?.problem
            == "model option byte_fallback is not supported")
        #expect(try Self.load { $0["normalizer"] = ["type": "NFC"] }?.problem
            == "normalizer \"NFC\" is not supported (Llama 3 has none)")
        #expect(try Self.load { $0["pre_tokenizer"] = ["type": "Whitespace"] }?.problem.contains("pre_tokenizer") == true)
        let gpt2 = try Self.load {
            var sequence = $0["pre_tokenizer"] as! [String: Any]
            var steps = sequence["pretokenizers"] as! [[String: Any]]
            steps[0]["pattern"] = ["Regex": "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"]
            sequence["pretokenizers"] = steps
            $0["pre_tokenizer"] = sequence
        }
        #expect(gpt2?.problem == "the pre_tokenizer's Split pattern is not Llama 3's, which is the only one supported")
        #expect(try Self.load { $0["decoder"] = ["type": "WordPiece"] }?.problem
            == "decoder \"WordPiece\" is not supported (only ByteLevel)")
    }

    @Test func inconsistentVocabularyAndMerges() throws {
        #expect(try Self.load { Self.model(&$0) { $0["vocab"] = ["a": 0] } }?.problem
            == "the vocabulary has no token for byte 0 (not byte-level BPE)")
        #expect(try Self.load { Self.model(&$0) { $0["merges"] = [["a", "zz"]] } }?.problem
            == "merge 0 uses \"zz\", which is not in the vocabulary")
        #expect(try Self.load { Self.model(&$0) { $0["merges"] = [["a", "b"], ["c", "b"]] } }?.problem
            == "merge 1 makes \"cb\", which is not in the vocabulary")
        #expect(try Self.load { Self.model(&$0) { $0["merges"] = ["ab"] } }?.problem
            == "merge 0 \"ab\" is not two tokens separated by a space")
        #expect(try Self.load { Self.model(&$0) { $0["merges"] = [["a"]] } }?.problem == "merge 0 is not a pair of strings")
        #expect(try Self.load {
            Self.model(&$0) { var vocab = $0["vocab"] as! [String: Any]; vocab["a"] = -3; $0["vocab"] = vocab }
        }?.problem == "vocabulary entry \"a\" has an invalid id -3")
        #expect(try Self.load {
            Self.model(&$0) { var vocab = $0["vocab"] as! [String: Any]; vocab["a"] = 1 << 40; $0["vocab"] = vocab }
        }?.problem == "vocabulary entry \"a\" has an invalid id 1099511627776")
    }

    @Test func unsupportedAddedTokens() throws {
        let error = try Self.load {
            $0["added_tokens"] = [["id": 300, "content": "<y>", "lstrip": true, "special": true]]
        }
        #expect(error?.problem == "added token \"<y>\" uses lstrip, which is not supported")
        #expect(try Self.load { $0["added_tokens"] = [["content": "<y>"]] }?.problem == "added token 0 has no valid id and content")
    }

    @Test func acceptsTheSmallFileUnchanged() throws {
        #expect(try Self.load { _ in } == nil)
    }
}
