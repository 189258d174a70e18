import Foundation

/// What a Hugging Face tokenizer.json in the Llama 3 format says, checked and ready to build from.
///
/// Supported: a BPE model (optionally `ignore_merges`), the Llama 3 Split pattern followed by ByteLevel
/// without its own regex, no normalizer, a ByteLevel decoder, added tokens without strip options, and
/// a TemplateProcessing post-processor (whose leading special token is the BOS). Anything else is
/// refused by name rather than tokenized differently from the reference.
struct TokenizerDefinition {
    struct AddedToken {
        let id: Int
        let content: String
        /// Matched after normalization in the reference; with no normalizer that only changes the order
        /// of matching: tokens with `normalized: false` are found first, these in the text between them.
        let normalized: Bool
    }

    /// Token string (in the byte-level alphabet) -> id.
    var vocabulary: [(token: String, id: Int)] = []
    /// Pairs of token strings, in rank order.
    var merges: [(left: String, right: String)] = []
    var ignoreMerges = false
    var addedTokens: [AddedToken] = []
    /// The special tokens the post-processor puts before a single sequence.
    var templatePrefix: [Int] = []

    static let llama3Pattern =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// Ids from here on are refused: they only come from broken files, and ids size the tables.
    static let idLimit = 1 << 21

    init(json: JSONValue) throws {
        guard case .object = json else { throw Problem("the top level is not a JSON object") }
        try readModel(json["model"])
        try checkNormalizer(json["normalizer"])
        try checkPreTokenizer(json["pre_tokenizer"])
        try checkDecoder(json["decoder"])
        try readAddedTokens(json["added_tokens"])
        try readPostProcessor(json["post_processor"])
    }

    struct Problem: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    private mutating func readModel(_ model: JSONValue?) throws {
        guard let model, case .object = model else { throw Problem("no \"model\" object") }
        if let type = model["type"], type.string != "BPE" {
            throw Problem("model type \(Self.describe(type)) is not supported (only BPE)")
        }
        guard let vocabulary = model["vocab"], case .object(let entries) = vocabulary else {
            throw Problem("the model has no \"vocab\" object")
        }
        guard let merges = model["merges"]?.array else { throw Problem("the model has no \"merges\" array") }
        for option in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = model[option], !value.isNull, value.string != "" {
                throw Problem("model option \(option) is not supported")
            }
        }
        if let dropout = model["dropout"], !dropout.isNull, dropout.integer != 0 {
            throw Problem("model option dropout is not supported")
        }
        if model["byte_fallback"]?.bool == true { throw Problem("model option byte_fallback is not supported") }
        ignoreMerges = model["ignore_merges"]?.bool ?? false

        self.vocabulary.reserveCapacity(entries.count)
        for (token, value) in entries {
            guard let id = value.integer, id >= 0, id < Self.idLimit else {
                throw Problem("vocabulary entry \(Self.quote(token)) has an invalid id \(Self.describe(value))")
            }
            self.vocabulary.append((token, id))
        }
        self.merges.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            // Older files write "left right", newer ones ["left", "right"].
            switch merge {
            case .string(let text):
                guard let space = text.firstIndex(of: " ") else {
                    throw Problem("merge \(rank) \(Self.quote(text)) is not two tokens separated by a space")
                }
                self.merges.append((String(text[..<space]), String(text[text.index(after: space)...])))
            case .array(let pair) where pair.count == 2:
                guard let left = pair[0].string, let right = pair[1].string else {
                    throw Problem("merge \(rank) is not a pair of strings")
                }
                self.merges.append((left, right))
            default:
                throw Problem("merge \(rank) is not a pair of strings")
            }
        }
    }

    private func checkNormalizer(_ normalizer: JSONValue?) throws {
        guard let normalizer, !normalizer.isNull else { return }
        throw Problem("normalizer \(Self.typeName(normalizer)) is not supported (Llama 3 has none)")
    }

    private func checkPreTokenizer(_ preTokenizer: JSONValue?) throws {
        let unsupported = Problem("the pre_tokenizer is not supported (expected Llama 3's Split pattern and ByteLevel)")
        guard let preTokenizer, preTokenizer["type"]?.string == "Sequence",
              let steps = preTokenizer["pretokenizers"]?.array, steps.count == 2
        else { throw unsupported }
        let split = steps[0], byteLevel = steps[1]
        guard split["type"]?.string == "Split", split["behavior"]?.string == "Isolated",
              split["invert"]?.bool != true
        else { throw unsupported }
        guard split["pattern"]?["Regex"]?.string == Self.llama3Pattern else {
            throw Problem("the pre_tokenizer's Split pattern is not Llama 3's, which is the only one supported")
        }
        guard byteLevel["type"]?.string == "ByteLevel", byteLevel["use_regex"]?.bool == false,
              byteLevel["add_prefix_space"]?.bool != true
        else { throw unsupported }
    }

    private func checkDecoder(_ decoder: JSONValue?) throws {
        guard let decoder, !decoder.isNull else { return }
        guard decoder["type"]?.string == "ByteLevel" else {
            throw Problem("decoder \(Self.typeName(decoder)) is not supported (only ByteLevel)")
        }
    }

    private mutating func readAddedTokens(_ tokens: JSONValue?) throws {
        guard let tokens, !tokens.isNull else { return }
        guard let list = tokens.array else { throw Problem("\"added_tokens\" is not an array") }
        for (index, token) in list.enumerated() {
            guard let id = token["id"]?.integer, id >= 0, id < Self.idLimit,
                  let content = token["content"]?.string
            else { throw Problem("added token \(index) has no valid id and content") }
            for option in ["lstrip", "rstrip", "single_word"] where token[option]?.bool == true {
                throw Problem("added token \(Self.quote(content)) uses \(option), which is not supported")
            }
            let special = token["special"]?.bool ?? false
            addedTokens.append(AddedToken(id: id, content: content, normalized: token["normalized"]?.bool ?? !special))
        }
    }

    private mutating func readPostProcessor(_ processor: JSONValue?) throws {
        guard let processor, !processor.isNull else { return }
        switch processor["type"]?.string {
        case "Sequence":
            for step in processor["processors"]?.array ?? [] { try readPostProcessor(step) }
        case "TemplateProcessing":
            guard let single = processor["single"]?.array else { throw Problem("TemplateProcessing has no \"single\"") }
            for piece in single {
                if piece["Sequence"] != nil { break }
                guard let name = piece["SpecialToken"]?["id"]?.string,
                      let ids = processor["special_tokens"]?[name]?["ids"]?.array
                else { throw Problem("TemplateProcessing names a special token it does not define") }
                for id in ids {
                    guard let id = id.integer, id >= 0, id < Self.idLimit else {
                        throw Problem("TemplateProcessing special token \(Self.quote(name)) has an invalid id")
                    }
                    templatePrefix.append(id)
                }
            }
        default:
            break  // ByteLevel and friends only adjust offsets.
        }
    }

    private static func typeName(_ value: JSONValue) -> String {
        value["type"]?.string.map(quote) ?? describe(value)
    }

    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return quote(s)
        case .integer(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return String(b)
        case .null: return "null"
        case .array: return "(an array)"
        case .object: return "(an object)"
        }
    }

    static func quote(_ text: String) -> String {
        let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
        return "\"" + shown.unicodeScalars.map { $0.escaped(asASCII: false) }.joined() + "\""
    }
}
