import AudioCodec
import AudioIO
import Foundation
import Generation
import TestSupport
import Testing

@Suite struct EncodeTests {
    let tokenizer = TokenizerFixture.tokenizer

    /// 16 kHz mono, 24 kHz mono (a length for which the reference re-runs the acoustic encoder on
    /// padded audio) and 44.1 kHz stereo, read from WAV files and encoded as the reference does.
    enum Variant: CaseIterable { case standard, winograd, smallPieces }

    @Test(arguments: ["mono16k", "mono24k", "stereo44k"], Variant.allCases)
    func matchesTheReference(_ name: String, variant: Variant) throws {
        let tokenizer = switch variant {
        case .standard: self.tokenizer
        case .winograd: TokenizerFixture.winogradTokenizer
        case .smallPieces: TokenizerFixture.smallPiecesTokenizer
        }
        let cases = try #require(try Fixtures.json(TokenizerFixture.target, "encode/cases.json") as? [String: [String: Any]])
        let facts = try #require(cases[name])
        let audio = try WAVFile.read(Fixtures.url(TokenizerFixture.target, "encode/\(name).wav"))
        #expect(audio.sampleRate == facts["rate"] as? Int)
        #expect(audio.samples.count == facts["samples"] as? Int)

        let encoding = try tokenizer.encoding(of: audio.samples, sampleRate: audio.sampleRate)
        let expectedCodes = try TokenizerFixture.codes("encode/\(name)_codes.bin")
        #expect(encoding.codes.frameCount == expectedCodes.frameCount)

        let semantic = try TokenizerFixture.floats("encode/\(name)_semantic.bin")
        #expect(encoding.semanticFeatures.count == semantic.count)
        if encoding.semanticFeatures.count == semantic.count {
            let error = TokenizerFixture.relativeError(encoding.semanticFeatures, semantic)
            #expect(error <= 1e-4, "semantic features: \(error) relative")
        }
        let prior = try TokenizerFixture.floats("encode/\(name)_prior.bin")
        #expect(encoding.quantizerInput.count == prior.count)
        if encoding.quantizerInput.count == prior.count {
            let error = TokenizerFixture.relativeError(encoding.quantizerInput, prior)
            #expect(error <= 1e-4, "quantizer input: \(error) relative")
        }

        let frames = min(encoding.codes.frameCount, expectedCodes.frameCount)
        let equal = (0..<frames).filter { encoding.codes.frame($0) == expectedCodes.frame($0) }.count
        #expect(Double(equal) >= 0.99 * Double(expectedCodes.frameCount), "\(equal) of \(expectedCodes.frameCount) frames equal")
    }

    /// The encoder's pieces join exactly: fed 997 samples at a time, with HuBERT's queries scored 7 at
    /// a time, it gives what it gives in pieces of 8,192 and 512 queries (which the fixture's clips fill
    /// once or twice), to rounding: the score products of fewer rows round differently, and the
    /// convolutions may take other kernels for shorter pieces. (A piece joined wrongly changes the
    /// frames it touches by far more.)
    @Test(arguments: ["mono16k", "mono24k", "stereo44k"])
    func piecesDoNotChangeTheEncoding(_ name: String) throws {
        let audio = try WAVFile.read(Fixtures.url(TokenizerFixture.target, "encode/\(name).wav"))
        let whole = try tokenizer.encoding(of: audio.samples, sampleRate: audio.sampleRate)
        let pieces = try TokenizerFixture.smallPiecesTokenizer.encoding(of: audio.samples, sampleRate: audio.sampleRate)
        #expect(pieces.codes == whole.codes)
        try #require(pieces.semanticFeatures.count == whole.semanticFeatures.count)
        try #require(pieces.quantizerInput.count == whole.quantizerInput.count)
        #expect(TokenizerFixture.relativeError(pieces.semanticFeatures, whole.semanticFeatures) <= 1e-5)
        #expect(TokenizerFixture.relativeError(pieces.quantizerInput, whole.quantizerInput) <= 1e-5)
    }

    /// Clips whose last piece is whole, one sample long, or shorter than the first layers' kernels: the
    /// final pieces close the streams as the whole clip does.
    @Test(arguments: [997 * 20, 997 * 20 + 1, 997 * 20 + 4])
    func lastPiecesOfAnyLengthCloseTheStreams(_ count: Int) throws {
        var random = SeededRandom(seed: UInt64(count))
        let samples = (0..<count).map { i in Float(0.3 * sin(Double(i) * 0.031) + 0.2 * (random.nextUnit() - 0.5)) }
        let whole = try tokenizer.encoding(of: samples, sampleRate: 24000)
        let pieces = try TokenizerFixture.smallPiecesTokenizer.encoding(of: samples, sampleRate: 24000)
        #expect(pieces.codes == whole.codes)
        try #require(pieces.quantizerInput.count == whole.quantizerInput.count)
        #expect(TokenizerFixture.relativeError(pieces.quantizerInput, whole.quantizerInput) <= 1e-5)
    }

    @Test func refusesUnusableAudio() throws {
        #expect(throws: CodecError("no audio to encode (zero samples)")) { try tokenizer.encode([], sampleRate: 24000) }
        #expect(throws: CodecError.self) { try tokenizer.encode([Float](repeating: 0.1, count: 100), sampleRate: 24000) }
        #expect(throws: CodecError("the audio holds NaN or infinite samples")) { try tokenizer.encode([0, .nan, 0], sampleRate: 24000) }
    }
}
