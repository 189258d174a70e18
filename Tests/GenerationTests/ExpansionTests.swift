import Foundation
import Testing
import TestSupport
import Transformer
import Generation

/// Prompt expansion and the delay pattern equal the reference's collator and utilities.
@Suite struct ExpansionTests {
    /// Every generation prompt expands to exactly the positions the reference model merged.
    @Test(arguments: ReferenceGeneration.all)
    func placeholdersExpandAsTheCollatorDoes(_ reference: ReferenceGeneration) throws {
        let c = try Models.model(reference.geometry).configuration
        let input = try AudioPlaceholders.expand(tokens: reference.promptIds, audio: reference.audio, configuration: c)
        let ids = reference.expanded["ids"] as! [Int]
        let kinds = reference.expanded["kinds"] as! [Int]
        let codes = reference.expanded["codes"] as! [[Int]]
        #expect(input.count == ids.count)
        for p in 0..<min(input.count, ids.count) {
            #expect(Int(input.kinds[p].rawValue) == kinds[p], "kind at \(p)")
            switch input.kinds[p] {
            case .text: #expect(input.tokens[p] == ids[p], "token at \(p)")
            case .audioIn: #expect(ids[p] == c.audioInTokenId && Array(input.frame(at: p)) == codes[p], "audio-in at \(p)")
            case .audioOut: #expect(ids[p] == c.audioOutTokenId && Array(input.frame(at: p)) == codes[p], "audio-out at \(p)")
            }
        }
    }

    /// A clip of T frames takes T + 2 + (codebooks - 1) positions: bos frame, codes, eos frame, delay.
    @Test func clipLengthAndStreamFraming() throws {
        let c = try Models.model("a").configuration
        let clip = try AudioCodes(rows: (0..<8).map { k in (0..<3).map { 10 * k + $0 } })
        let columns = try AudioPlaceholders.streamColumns(clip, configuration: c)
        #expect(columns.frameCount == 3 + 2 + 7)
        #expect(columns.frame(0) == [c.audioStreamBOSId] + Array(repeating: c.audioStreamBOSId, count: 7))
        #expect(columns[0, 1] == 0 && columns[7, 8] == 70 && columns[7, 7] == c.audioStreamBOSId)
        #expect(columns.frame(11) == Array(repeating: c.audioStreamEOSId, count: 8))
    }

    @Test func mismatchedPlaceholdersAndBadCodesAreErrors() throws {
        let c = try Models.model("a").configuration
        let clip = try AudioCodes(rows: Array(repeating: [1, 2], count: 8))
        #expect(throws: GenerationError.self) {
            try AudioPlaceholders.expand(tokens: [1, c.audioOutTokenId, c.audioInTokenId], audio: [clip], configuration: c)
        }
        let bad = try AudioCodes(rows: Array(repeating: [1, c.audioCodebookEntries], count: 8))
        #expect(throws: GenerationError.self) {
            try AudioPlaceholders.expand(tokens: [c.audioOutTokenId], audio: [bad], configuration: c)
        }
        let narrow = try AudioCodes(rows: Array(repeating: [1], count: 4))
        #expect(throws: GenerationError.self) {
            try AudioPlaceholders.expand(tokens: [c.audioInTokenId], audio: [narrow], configuration: c)
        }
        #expect(throws: GenerationError.self) { try AudioCodes(rows: [[1, 2], [3]]) }
    }
}

@Suite struct DelayPatternTests {
    /// `build_delay_pattern_mask` and `revert_delay_pattern` of the reference on recorded cases.
    @Test func matchesTheReference() throws {
        let cases = try Fixtures.json("GenerationTests", "delay.json") as! [[String: Any]]
        #expect(cases.count == 3)
        for entry in cases {
            let codes = try AudioCodes(rows: entry["codes"] as! [[Int]])
            let delayed = try AudioCodes(rows: entry["delayed"] as! [[Int]])
            let applied = DelayPattern.apply(codes, fill: entry["bos"] as! Int, pad: entry["eos"] as! Int)
            #expect(applied == delayed)
            #expect(DelayPattern.revert(delayed) == codes)
        }
    }

    @Test(arguments: [(1, 1), (2, 5), (8, 0), (8, 1), (8, 30), (12, 4)])
    func roundTrips(codebooks: Int, frames: Int) throws {
        var state: UInt64 = UInt64(codebooks * 1000 + frames)
        let rows = (0..<codebooks).map { _ in
            (0..<frames).map { _ -> Int in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Int(state >> 54)
            }
        }
        let codes = try AudioCodes(rows: rows)
        let delayed = DelayPattern.apply(codes, fill: -1, pad: -2)
        #expect(delayed.frameCount == frames + codebooks - 1)
        for k in 0..<codebooks {
            #expect(delayed.rows[k].prefix(k).allSatisfy { $0 == -1 })
            #expect(delayed.rows[k].suffix(codebooks - 1 - k).allSatisfy { $0 == -2 })
        }
        #expect(DelayPattern.revert(delayed) == codes)
        // Fewer columns than codebooks (a generation stopped after one step) hold no frame.
        for columns in 0..<codebooks {
            let short = try AudioCodes(rows: (0..<codebooks).map { _ in [Int](repeating: 5, count: columns) })
            #expect(DelayPattern.revert(short) == AudioCodes(numCodebooks: codebooks))
        }
    }

    /// The decoder's frames: reverted, clipped, bos and eos frames dropped (as the CLI does).
    @Test func decoderFramesDropStreamFramesAndClip() throws {
        let codes = try AudioCodes(rows: (0..<8).map { k in [1024] + [k, 1025 - k % 2, 7] + [1025] })
        let segment = DelayPattern.apply(codes, fill: 1024, pad: 1025)
        let frames = DelayPattern.decoderFrames(of: segment, codebookSize: 1024)
        #expect(frames.frameCount == 3)
        #expect(frames.rows[3] == [3, 1023, 7] && frames.rows[2] == [2, 1023, 7] && frames.rows[1] == [1, 1023, 7])
        #expect(DelayPattern.decoderFrames(of: segment.frames(0..<8), codebookSize: 1024).frameCount == 0)
    }
}
