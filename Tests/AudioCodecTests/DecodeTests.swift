import AudioCodec
import Foundation
import Generation
import TestSupport
import Testing

@Suite struct DecodeTests {
    let tokenizer = TokenizerFixture.tokenizer

    @Test func loadsThePublishedLayout() {
        #expect(tokenizer.sampleRate == 24000)
        #expect(tokenizer.frameRate == 25)
        #expect(tokenizer.samplesPerFrame == 960)
        #expect(tokenizer.codebookCount == 8)
        #expect(tokenizer.codebookSize == 256)
    }

    /// The reference's waveform for random codes of 1, 5 and 200 frames (of the 200-frame case the
    /// fixture keeps frames 0..<40 and 160..<200).
    @Test(arguments: [1, 5, 200])
    func matchesTheReference(frames: Int) throws {
        let codes = try TokenizerFixture.codes("decode/codes_\(frames).bin")
        #expect(codes.frameCount == frames)
        let golden = try TokenizerFixture.floats("decode/wave_\(frames).bin")
        let cases = try #require(try Fixtures.json(TokenizerFixture.target, "decode/cases.json") as? [String: [String: Any]])
        let kept = try #require(cases["\(frames)"]?["kept_frames"] as? [[Int]])

        for (name, decoder) in [("default", tokenizer), ("float32", TokenizerFixture.float32Tokenizer),
                                ("winograd", TokenizerFixture.winogradTokenizer)] {
            let wave = try decoder.decode(codes)
            #expect(wave.count == frames * 960)
            var offset = 0
            for range in kept {
                let ours = wave[(range[0] * 960)..<(range[1] * 960)]
                let theirs = golden[offset..<(offset + ours.count)]
                let snr = TokenizerFixture.snr(ours, theirs)
                #expect(snr >= 60, "\(name), frames \(range): SNR \(snr) dB")
                offset += ours.count
            }
            #expect(offset == golden.count)
        }
    }

    @Test(arguments: [false, true])
    func streamingEqualsTheWholeDecode(winograd: Bool) throws {
        let tokenizer = winograd ? TokenizerFixture.winogradTokenizer : self.tokenizer
        let codes = try TokenizerFixture.codes("decode/codes_200.bin")
        let whole = try tokenizer.decode(codes)
        let decoder = tokenizer.streamingDecoder(batchFrames: 1)
        let latency = decoder.latencyFrames
        #expect(latency > 0 && latency < 30)
        var streamed: [Float] = []
        var fed = 0
        // Pieces of varying size, the first ones single frames as a generator gives them.
        let sizes = [1, 1, 1, 2, 3, 1, 7, 16, 1, 40, 5, 64]
        var i = 0
        while fed < codes.frameCount {
            let n = min(sizes[i % sizes.count], codes.frameCount - fed)
            streamed += try decoder.append(codes.frames(fed..<fed + n))
            fed += n
            i += 1
            // Audio up to `latency` frames behind the input is out already.
            #expect(streamed.count >= max(0, fed - latency) * 960, "after \(fed) frames")
        }
        streamed += decoder.finish()
        #expect(streamed.count == whole.count)
        let snr = TokenizerFixture.snr(streamed[...], whole[...])
        #expect(snr >= 60, "streamed against whole: \(snr) dB")
        #expect(throws: CodecError.self) { try decoder.append(frame: codes.frame(0)) }

        // In batches: nothing until a batch is full, then at most latency + batch - 1 frames behind;
        // the batch may grow on the way (as the studio's does once the listener is ahead).
        let batched = tokenizer.streamingDecoder(batchFrames: 5)
        var out: [Float] = []
        var waiting = 0
        for t in 0..<codes.frameCount {
            if t == 100 { batched.batchFrames = 12 }
            let piece = try batched.append(frame: codes.frame(t))
            waiting += 1
            if waiting < batched.batchFrames { #expect(piece.isEmpty, "frame \(t)") } else { waiting = 0 }
            out += piece
            #expect(out.count >= max(0, t + 1 - latency - (batched.batchFrames - 1)) * 960)
        }
        out += batched.finish()
        #expect(TokenizerFixture.snr(out[...], whole[...]) >= 60)
    }

    /// Audio more than `latencyFrames` before a frame does not depend on it: what the streaming
    /// decoder has given out is final.
    @Test func lookAheadIsTheStatedLatency() throws {
        let codes = try TokenizerFixture.codes("decode/codes_200.bin")
        let latency = tokenizer.streamingDecoder().latencyFrames
        var rows = codes.rows
        for q in 0..<8 { for t in 120..<200 { rows[q][t] = (rows[q][t] + 1 + q) % 256 } }
        let changed = try AudioCodes(rows: rows)
        let a = try tokenizer.decode(codes), b = try tokenizer.decode(changed)
        let finalSamples = (120 - latency) * 960
        func largestDifference(_ range: Range<Int>) -> Float { range.reduce(0) { max($0, abs(a[$1] - b[$1])) } }
        // Only rounding differs before (the convolutions group their work by the length decoded):
        // -90 dB of the signal's peak of about 3.
        let rounding = largestDifference(0..<finalSamples)
        #expect(rounding < 1e-4)
        // And the look-ahead is not overstated: the next frame does change, beyond rounding.
        #expect(largestDifference(finalSamples..<(finalSamples + 960)) > 5 * rounding)
    }

    @Test func refusesBadCodes() throws {
        let bad = try AudioCodes(rows: (0..<8).map { q in [0, q == 3 ? 256 : 1] })
        #expect(throws: CodecError("code 256 in codebook 3 at frame 1 is outside 0..<256")) { try tokenizer.decode(bad) }
        #expect(throws: CodecError("codes have 2 codebooks, the tokenizer has 8")) {
            try tokenizer.decode(try AudioCodes(rows: [[1], [2]]))
        }
        #expect(try tokenizer.decode(try AudioCodes(rows: Array(repeating: [], count: 8))).isEmpty)
    }
}

