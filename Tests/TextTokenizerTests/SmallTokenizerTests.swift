import Foundation
import TestSupport
import Testing
import TextTokenizer

/// A tiny byte-level BPE whose merges can be followed by hand, in both merge formats of tokenizer.json,
/// against the reference's ids: ranks (a repeated pair keeps its later rank), `ignore_merges`, long words,
/// and added tokens matched before (`normalized: false`) and after (`normalized: true`) the others.
@Suite struct SmallTokenizerTests {
    struct Case: Decodable {
        let text: String
        let ids: [Int]
        let idsIgnoringMerges: [Int]
    }

    static func cases() throws -> [Case] {
        struct Corpus: Decodable { let cases: [Case] }
        let data = try Data(contentsOf: Fixtures.url("TextTokenizerTests", "small-corpus.json"))
        return try JSONDecoder().decode(Corpus.self, from: data).cases
    }

    @Test func mergesAsPairs() throws {
        let tokenizer = try BPETokenizer(url: Fixtures.url("TextTokenizerTests", "small-tokenizer.json"))
        let cases = try Self.cases()
        #expect(cases.count > 200)
        for item in cases {
            #expect(tokenizer.encode(item.text) == item.ids, "\(item.text.debugDescription)")
            #expect(tokenizer.decode(item.ids) == item.text)
        }
        // By hand: "bca" merges c+a (rank 6) before b+c, whose repeat at rank 12 replaced rank 1.
        #expect(tokenizer.encode("bca") == [98, 262])
        // Without ignore_merges a token is only reached through merges.
        #expect(tokenizer.encode("cab") == [99, 256])
        #expect(tokenizer.bosId == nil)
        #expect(tokenizer.encode("abc", addBOS: true) == [258])
    }

    @Test func legacyMergeStringsWithIgnoreMerges() throws {
        let tokenizer = try BPETokenizer(url: Fixtures.url("TextTokenizerTests", "small-tokenizer-legacy.json"))
        for item in try Self.cases() {
            #expect(tokenizer.encode(item.text) == item.idsIgnoringMerges, "\(item.text.debugDescription)")
        }
        #expect(tokenizer.encode("cab") == [268])
    }
}
