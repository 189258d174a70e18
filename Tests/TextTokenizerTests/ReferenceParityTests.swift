import Foundation
import Testing
import TextTokenizer

/// The ids of the reference (`tokenizers` 0.20 and `transformers` 4.46 over the same tokenizer.json).
@Suite struct ReferenceParityTests {
    @Test func vocabularyIsLlama3s() throws {
        let tokenizer = try Llama3.tokenizer()
        #expect(tokenizer.vocabularySize == 128_256)
        #expect(tokenizer.bosId == 128_000)
        #expect(tokenizer.id(of: "Hello") == 9906)
        #expect(tokenizer.id(of: "Ġworld") == 1917)
        #expect(tokenizer.token(for: 1917) == "Ġworld")
        #expect(tokenizer.id(of: "<|eot_id|>") == 128_009)
        #expect(tokenizer.id(of: "<|AUDIO_OUT|>") == 128_016)
        #expect(tokenizer.token(for: 128_255) == "<|reserved_special_token_247|>")
        #expect(tokenizer.token(for: 128_256) == nil)
        #expect(tokenizer.token(for: -1) == nil)
        #expect(tokenizer.id(of: "no such token") == nil)
    }

    @Test func corpusIdsEqualTheReference() throws {
        let tokenizer = try Llama3.tokenizer()
        let cases = try CorpusCase.all()
        #expect(cases.count > 400)
        for item in cases {
            #expect(tokenizer.encode(item.text) == item.ids, "\(item.name): \(item.text.debugDescription.prefix(120))")
        }
    }

    @Test func piecesEqualTheReferenceSplit() throws {
        let tokenizer = try Llama3.tokenizer()
        let cases = try CorpusCase.all().filter { $0.pieces != nil }
        #expect(cases.count > 200)
        for item in cases {
            // As bytes: String equality would forgive canonically equivalent differences.
            #expect(tokenizer.pieces(of: item.text).map { Array($0.utf8) } == item.pieces!.map { Array($0.utf8) },
                    "\(item.name)")
        }
    }

    @Test func bosOnlyWhenAsked() throws {
        let tokenizer = try Llama3.tokenizer()
        for item in try CorpusCase.all() {
            #expect(tokenizer.encode(item.text, addBOS: true) == item.idsWithBOS, "\(item.name)")
        }
        #expect(tokenizer.encode("") == [])
        #expect(tokenizer.encode("", addBOS: true) == [128_000])
        #expect(tokenizer.encode("Hello world") == [9906, 1917])
        #expect(tokenizer.encode("Hello world", addBOS: true) == [128_000, 9906, 1917])
        // A BOS written in the text is a token like any other, and is not doubled by the flag's absence.
        #expect(tokenizer.encode("<|begin_of_text|>Hello") == [128_000, 9906])
    }

    @Test func inlineAddedTokensAreSingleIds() throws {
        let tokenizer = try Llama3.tokenizer()
        #expect(tokenizer.encode("<|eot_id|>") == [128_009])
        #expect(tokenizer.encode("<SE><|AUDIO_OUT|></SE>") == [128_022, 128_016, 128_023])
        #expect(tokenizer.pieces(of: "Hi<|eot_id|> there<SE_s>") == ["Hi", "<|eot_id|>", " there", "<SE_s>"])
    }

    @Test func decodeRoundTrips() throws {
        let tokenizer = try Llama3.tokenizer()
        for item in try CorpusCase.all() {
            #expect(tokenizer.decode(item.ids) == item.text, "\(item.name)")
            #expect(tokenizer.decode(item.idsWithBOS) == "<|begin_of_text|>" + item.text, "\(item.name)")
        }
        // Ids outside the vocabulary are skipped rather than trapping.
        #expect(tokenizer.decode([9906, -5, 200_000, 1917]) == "Hello world")
        // A token cut inside a UTF-8 sequence decodes with replacement characters, like the reference.
        let emoji = tokenizer.encode("😀")
        #expect(emoji.count > 1)
        #expect(tokenizer.decode(Array(emoji.prefix(1))).unicodeScalars.allSatisfy { $0 == "\u{FFFD}" })
    }

    @Test func encodingIsRepeatable() throws {
        // The per-word cache must not change results: encode the corpus twice, interleaved.
        let tokenizer = try Llama3.tokenizer()
        let cases = try CorpusCase.all()
        let first = cases.map { tokenizer.encode($0.text) }
        let second = cases.reversed().map { tokenizer.encode($0.text) }
        #expect(first == Array(second.reversed()))
    }

    @Test func encodingFromSeveralThreads() throws {
        let tokenizer = try Llama3.tokenizer()
        let cases = try CorpusCase.all()
        let mismatches = LockedCounter()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for item in cases.shuffled() where tokenizer.encode(item.text) != item.ids {
                mismatches.increment()
            }
        }
        #expect(mismatches.value == 0)
    }
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}
