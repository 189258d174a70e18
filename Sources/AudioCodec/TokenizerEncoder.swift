import AudioIO
import Checkpoint
import Generation
import Kernels

/// What the encoder computes on the way to the codes, for inspection and parity checks.
public struct AudioEncoding: Sendable {
    public let codes: AudioCodes
    /// HuBERT's mean hidden states stepped down to the frame rate, time-major `[frames, hidden]`
    /// (the semantic encoder's input).
    public let semanticFeatures: [Float]
    /// The vectors the quantizer receives (fc_prior's output), time-major `[frames, width]`.
    public let quantizerInput: [Float]
}

/// The encoding half of the tokenizer: the acoustic encoder and the HuBERT-fed semantic encoder
/// side by side, fc_prior over both, then the residual vector quantizer.
final class TokenizerEncoder {
    let configuration: TokenizerConfiguration
    let acoustic: AcousticEncoder
    let hubert: Hubert
    let semantic: SemanticEncoder
    let prior: Dense
    let quantizer: ResidualVectorQuantizer

    init(_ reader: WeightReader, configuration: TokenizerConfiguration, quantizer: ResidualVectorQuantizer) throws {
        self.configuration = configuration
        self.quantizer = quantizer
        acoustic = try AcousticEncoder(reader, ratios: configuration.ratios, latentChannels: configuration.latentChannels)
        hubert = try Hubert(reader)
        semantic = try SemanticEncoder(reader, channels: hubert.hidden)
        prior = try Dense(reader, "fc_prior", inFeatures: configuration.latentChannels + semantic.outChannels)
        guard prior.outFeatures == quantizer.dimension else {
            throw reader.fail("fc_prior gives \(prior.outFeatures) features, the quantizer takes \(quantizer.dimension)")
        }
    }

    /// Encodes audio at the tokenizer's sample rate, following the reference's length rules.
    func encode(_ samples: [Float]) throws -> AudioEncoding {
        let factor = configuration.semanticDownsampleFactor
        // Semantic branch: 16 kHz, 160 samples of silence each side, HuBERT, every `factor`-th frame.
        let semanticRate = Resampler.sinc(samples, from: configuration.sampleRate, to: configuration.semanticSampleRate)
        let padded = [Float](repeating: 0, count: 160) + semanticRate + [Float](repeating: 0, count: 160)
        guard Hubert.frameCount(samples: padded.count) > 0 else {
            throw CodecError("audio of \(samples.count) samples is too short to encode")
        }
        let hidden = hubert.meanHiddenStates(padded)
        let width = hubert.hidden
        let frames = hidden.count / width
        let kept = stride(from: 0, to: frames, by: factor).map { $0 }
        var features = [Float](repeating: 0, count: kept.count * width)
        for (i, t) in kept.enumerated() {
            features.replaceSubrange(i * width..<(i + 1) * width, with: hidden[t * width..<(t + 1) * width])
        }
        var eSemantic = semantic(features.withUnsafeBufferPointer { Signal.fromTimeMajor($0.baseAddress!, count: kept.count, channels: width) })

        // Acoustic branch; when the frame counts differ, again with 160 semantic-rate samples'
        // worth of silence each side, then the longer one is cut.
        var eAcoustic = acoustic(samples)
        if eAcoustic.count != eSemantic.count {
            let pad = [Float](repeating: 0, count: 160 * factor)
            eAcoustic = acoustic(pad + samples + pad)
        }
        let count = min(eAcoustic.count, eSemantic.count)
        if eAcoustic.count > count { eAcoustic = eAcoustic.columns(0..<count) }
        if eSemantic.count > count { eSemantic = eSemantic.columns(0..<count) }
        guard count > 0 else { throw CodecError("audio of \(samples.count) samples is too short to encode") }

        // [acoustic; semantic] per frame, through fc_prior, into the quantizer.
        let joined = Signal(channels: eAcoustic.channels + eSemantic.channels, count: count)
        for c in 0..<eAcoustic.channels { joined.row(c).update(from: eAcoustic.row(c), count: count) }
        for c in 0..<eSemantic.channels { joined.row(eAcoustic.channels + c).update(from: eSemantic.row(c), count: count) }
        let input = prior(joined.timeMajor(), rows: count)
        let codes = quantizer.encode(input, frames: count)
        return AudioEncoding(codes: try AudioCodes(rows: codes), semanticFeatures: features, quantizerInput: input)
    }
}

extension AudioTokenizer {
    /// Codes of audio at any sample rate (mono; brought to the tokenizer's rate as librosa's
    /// soxr-HQ resampler does).
    public func encode(_ samples: [Float], sampleRate: Int) throws -> AudioCodes {
        try encoding(of: samples, sampleRate: sampleRate).codes
    }

    /// Codes of `audio` (see `encode(_:sampleRate:)`).
    public func encode(_ audio: Audio) throws -> AudioCodes {
        try encode(audio.samples, sampleRate: audio.sampleRate)
    }

    /// Loads the encoder (HuBERT and the two encoders) now rather than on the first `encode`.
    public func loadEncoder() throws {
        _ = try encoder()
    }

    /// The codes with the features computed on the way.
    public func encoding(of samples: [Float], sampleRate rate: Int) throws -> AudioEncoding {
        guard !samples.isEmpty else { throw CodecError("no audio to encode (zero samples)") }
        guard samples.allSatisfy({ $0.isFinite }) else { throw CodecError("the audio holds NaN or infinite samples") }
        let resampled = try Resampler.soxr(samples, from: rate, to: sampleRate)
        return try encoder().encode(resampled)
    }
}
