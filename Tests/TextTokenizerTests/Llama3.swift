import Foundation
import TestSupport
import TextTokenizer

/// The real Llama 3 tokenizer.json (as the published Higgs checkpoint has it), loaded once for all tests.
enum Llama3 {
    static let fixture = "llama3-tokenizer.zip"

    private static let loaded = Result {
        try BPETokenizer(data: Fixtures.unzipped("TextTokenizerTests", fixture, entry: "tokenizer.json"),
                         source: "\(fixture)/tokenizer.json")
    }

    static func tokenizer() throws -> BPETokenizer { try loaded.get() }
}

/// A text of the corpus with the ids the reference gave it.
struct CorpusCase: Decodable {
    let name: String
    let text: String
    let ids: [Int]
    let idsWithBOS: [Int]
    /// How the reference's Split pattern cuts the text, where no added token occurs in it.
    let pieces: [String]?

    static func all() throws -> [CorpusCase] {
        struct Corpus: Decodable { let cases: [CorpusCase] }
        let data = try Data(contentsOf: Fixtures.url("TextTokenizerTests", "tokenizer-corpus.json"))
        return try JSONDecoder().decode(Corpus.self, from: data).cases
    }
}
