import Foundation

/// The Llama 3 text tokenizer: byte-level BPE read from a Hugging Face tokenizer.json, giving the same
/// ids as the reference (`tokenizers` 0.20 / `transformers` 4.46 `encode(text, add_special_tokens=False)`).
///
/// Added tokens such as `<|eot_id|>` or `<|AUDIO_OUT|>` are recognised wherever they appear in the text,
/// as in the reference, so prompts can be written as plain text. Thread-safe.
public final class BPETokenizer: @unchecked Sendable {
    /// One more than the highest id (vocabulary and added tokens).
    public let vocabularySize: Int
    /// The token the post-processor puts first (`<|begin_of_text|>` for Llama 3), added by `encode(_:addBOS:)`.
    public let bosId: Int?

    /// Token strings by id, as tokenizer.json writes them (vocabulary tokens in the byte-level alphabet).
    private let tokens: [String?]
    private let idOfToken: [String: Int]
    /// The bytes each id decodes to, packed.
    private let decodedBytes: [UInt8]
    private let decodedStarts: [Int32]
    /// Added tokens matched first (normalized: false) and those matched in the text between them.
    private let addedTokens: AddedTokenMatcher
    private let normalizedAddedTokens: AddedTokenMatcher
    private let encoder: WordEncoder
    private let lock = NSLock()

    /// Reads `tokenizer.json` from a model folder.
    public convenience init(modelFolder: URL) throws {
        try self.init(url: modelFolder.appendingPathComponent("tokenizer.json"))
    }

    public convenience init(url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            var isFolder: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder)
            throw TokenizerError(file: url.path, !exists ? "no such file" : isFolder.boolValue ? "is a folder, not a file" : "cannot be read")
        }
        try self.init(data: data, source: url.path)
    }

    /// Reads tokenizer.json contents; `source` names the file in errors.
    public init(data: Data, source: String) throws {
        let definition: TokenizerDefinition
        do {
            let json = try data.withUnsafeBytes { try JSONReader.parse($0.bindMemory(to: UInt8.self)) }
            definition = try TokenizerDefinition(json: json)
        } catch let failure as JSONReader.Failure {
            throw TokenizerError(file: source, failure.message)
        } catch let problem as TokenizerDefinition.Problem {
            throw TokenizerError(file: source, problem.message)
        }

        var size = 0
        for entry in definition.vocabulary { size = max(size, entry.id + 1) }
        for token in definition.addedTokens { size = max(size, token.id + 1) }
        vocabularySize = size

        var tokens = [String?](repeating: nil, count: size)
        var idOfToken = [String: Int](minimumCapacity: definition.vocabulary.count + definition.addedTokens.count)
        var vocabulary = ByteTable(minimumCapacity: definition.vocabulary.count)
        var bytesOfId = [[UInt8]?](repeating: nil, count: size)
        for (token, id) in definition.vocabulary {
            tokens[id] = token
            idOfToken[token] = id
            // A token outside the byte-level alphabet can never be produced; it decodes as its own text.
            if let bytes = ByteLevel.bytes(of: token) {
                vocabulary.set(Int32(id), for: bytes)
                bytesOfId[id] = bytes
            } else {
                bytesOfId[id] = Array(token.utf8)
            }
        }

        var idOfByte = [Int32](repeating: -1, count: 256)
        for byte in 0..<256 {
            guard let id = vocabulary.value(for: [UInt8(byte)]) else {
                throw TokenizerError(file: source, "the vocabulary has no token for byte \(byte) (not byte-level BPE)")
            }
            idOfByte[byte] = id
        }

        var merges = MergeTable(minimumCapacity: definition.merges.count)
        for (rank, merge) in definition.merges.enumerated() {
            guard let left = idOfToken[merge.left], let right = idOfToken[merge.right] else {
                let missing = idOfToken[merge.left] == nil ? merge.left : merge.right
                throw TokenizerError(file: source, "merge \(rank) uses \(TokenizerDefinition.quote(missing)), which is not in the vocabulary")
            }
            guard let result = idOfToken[merge.left + merge.right] else {
                throw TokenizerError(file: source, "merge \(rank) makes \(TokenizerDefinition.quote(merge.left + merge.right)), which is not in the vocabulary")
            }
            merges.insert(Int32(left), Int32(right), .init(rank: Int32(rank), result: Int32(result)))
        }

        var addedTokens = AddedTokenMatcher(), normalizedAddedTokens = AddedTokenMatcher()
        for token in definition.addedTokens {
            tokens[token.id] = token.content
            idOfToken[token.content] = token.id
            if token.normalized {
                normalizedAddedTokens.add(token.content, id: token.id)
            } else {
                addedTokens.add(token.content, id: token.id)
            }
            // The reference's ByteLevel decoder reads a token through the alphabet when it can, else as text.
            bytesOfId[token.id] = ByteLevel.bytes(of: token.content) ?? Array(token.content.utf8)
        }

        if let first = definition.templatePrefix.first {
            guard first < size else { throw TokenizerError(file: source, "the post-processor's BOS id \(first) is not a token") }
            bosId = first
        } else {
            bosId = idOfToken["<|begin_of_text|>"]
        }

        var decodedBytes: [UInt8] = [], decodedStarts: [Int32] = [0]
        decodedStarts.reserveCapacity(size + 1)
        for bytes in bytesOfId {
            if let bytes { decodedBytes.append(contentsOf: bytes) }
            decodedStarts.append(Int32(decodedBytes.count))
        }
        self.tokens = tokens
        self.idOfToken = idOfToken
        self.decodedBytes = decodedBytes
        self.decodedStarts = decodedStarts
        self.addedTokens = addedTokens
        self.normalizedAddedTokens = normalizedAddedTokens
        encoder = WordEncoder(model: BytePairModel(vocabulary: vocabulary, idOfByte: idOfByte, merges: merges,
                                                   ignoreMerges: definition.ignoreMerges))
    }

    /// The ids of `text`, with the BOS token first if asked (the reference's `add_special_tokens=True`).
    public func encode(_ text: String, addBOS: Bool = false) -> [Int] {
        var ids: [Int] = []
        ids.reserveCapacity(text.utf8.count / 3 + 2)
        if addBOS, let bosId { ids.append(bosId) }
        var text = text
        text.withUTF8 { utf8 in
            lock.lock()
            defer { lock.unlock() }
            forEachPiece(in: utf8) { range, addedId in
                if let addedId {
                    ids.append(addedId)
                } else {
                    encoder.encode(UnsafeBufferPointer(rebasing: utf8[range]), into: &ids)
                }
            }
        }
        return ids
    }

    /// The text of `ids`; added tokens appear as their content. Ids that are not tokens are skipped.
    public func decode(_ ids: [Int]) -> String {
        var bytes: [UInt8] = []
        for id in ids where id >= 0 && id < vocabularySize {
            bytes.append(contentsOf: decodedBytes[Int(decodedStarts[id])..<Int(decodedStarts[id + 1])])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The id of a token, written as tokenizer.json writes it (`Ġworld` for " world", or `<|eot_id|>`).
    public func id(of token: String) -> Int? {
        idOfToken[token]
    }

    /// The token of an id, as tokenizer.json writes it.
    public func token(for id: Int) -> String? {
        id >= 0 && id < tokens.count ? tokens[id] : nil
    }

    /// The pieces BPE sees: added tokens found in the text, and the words the Llama 3 pattern splits the
    /// rest into (as text, before the byte-level mapping). For inspecting tokenization.
    public func pieces(of text: String) -> [String] {
        var pieces: [String] = []
        var text = text
        text.withUTF8 { utf8 in
            forEachPiece(in: utf8) { range, _ in
                pieces.append(String(decoding: UnsafeBufferPointer(rebasing: utf8[range]), as: UTF8.self))
            }
        }
        return pieces
    }

    /// Calls `body` with each added token (and its id) and each word, in order.
    private func forEachPiece(in text: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>, Int?) -> Void) {
        forEachAddedToken(addedTokens, in: text, 0..<text.count) { range, id in
            if let id {
                body(range, id)
                return
            }
            forEachAddedToken(normalizedAddedTokens, in: text, range) { range, id in
                if let id {
                    body(range, id)
                    return
                }
                let split = Llama3Split(text: text, end: range.upperBound)
                var start = range.lowerBound
                while start < range.upperBound {
                    let end = split.pieceEnd(from: start)
                    body(start..<end, nil)
                    start = end
                }
            }
        }
    }

    /// Splits `range` into the added tokens found there (with their ids) and the text between them (nil).
    private func forEachAddedToken(_ matcher: AddedTokenMatcher, in text: UnsafeBufferPointer<UInt8>,
                                   _ range: Range<Int>, _ body: (Range<Int>, Int?) -> Void) {
        var start = range.lowerBound
        while start < range.upperBound {
            guard let match = matcher.firstMatch(in: text, from: start, to: range.upperBound) else { break }
            if match.range.lowerBound > start { body(start..<match.range.lowerBound, nil) }
            body(match.range, match.id)
            start = match.range.upperBound
        }
        if start < range.upperBound { body(start..<range.upperBound, nil) }
    }
}
