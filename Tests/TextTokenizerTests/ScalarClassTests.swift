import Foundation
import TestSupport
import Testing
import TextTokenizer

/// Every Unicode scalar is classed (letter, number, whitespace, other) as the reference's regex engine
/// classes it (Oniguruma with Unicode 14.0 tables), seen through how the Llama 3 pattern splits probes.
@Suite struct ScalarClassTests {
    enum Kind: String { case letter, number, whitespace, other }

    /// The pieces of "a" + c + "1" + c + "!", which tell the four classes apart.
    static func expectedPieces(_ c: String, _ kind: Kind) -> [String] {
        switch kind {
        case .letter: return ["a" + c, "1", c, "!"]
        case .number: return ["a", c + "1" + c, "!"]
        case .other: return ["a", c, "1", c + "!"]
        case .whitespace where c == " ": return ["a", " ", "1", " !"]
        case .whitespace: return ["a", c, "1", c, "!"]
        }
    }

    @Test func everyScalarIsClassedAsTheReferenceDoes() throws {
        let tokenizer = try Llama3.tokenizer()
        let runs = try #require(try Fixtures.json("TextTokenizerTests", "scalar-classes.json") as? [[Any]])
        var kinds: [(start: Int, kind: Kind)] = []
        for run in runs {
            let start = try #require(run[0] as? Int), name = try #require(run[1] as? String)
            kinds.append((start, try #require(Kind(rawValue: name))))
        }
        #expect(kinds.count > 1000)
        // Probes in batches: one text of many probes, each followed by "1" so the next starts afresh.
        var text = "", expected: [String] = [], mismatches: [String] = []
        func check() {
            // Compared as bytes: String equality would forgive canonically equivalent differences.
            let pieces = tokenizer.pieces(of: text).map { Array($0.utf8) }
            let wanted = expected.map { Array($0.utf8) }
            if pieces != wanted { mismatches.append(Self.firstDifference(pieces, wanted)) }
            text = ""
            expected = []
        }
        for (index, run) in kinds.enumerated() {
            let end = index + 1 < kinds.count ? kinds[index + 1].start : 0x110000
            for value in run.start..<end {
                guard let scalar = Unicode.Scalar(value) else { continue }
                let c = String(Character(scalar))
                text += "a" + c + "1" + c + "!" + "1"
                expected += Self.expectedPieces(c, run.kind) + ["1"]
                if expected.count > 20_000 { check() }
            }
        }
        check()
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    static func firstDifference(_ pieces: [[UInt8]], _ expected: [[UInt8]]) -> String {
        let index = pieces.indices.first(where: { $0 >= expected.count || pieces[$0] != expected[$0] }) ?? pieces.count
        func show(_ list: [[UInt8]]) -> [String] {
            list[min(index, list.count)..<min(index + 5, list.count)].map { String(decoding: $0, as: UTF8.self).debugDescription }
        }
        return "got \(show(pieces)), expected \(show(expected))"
    }
}
