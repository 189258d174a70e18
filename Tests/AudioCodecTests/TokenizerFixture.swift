import AudioCodec
import Foundation
import Generation
import TestSupport

/// The random-weight tokenizer the reference made (Fixtures/tokenizer.zip), unzipped once into a
/// temporary folder and loaded through `AudioTokenizer(folder:)` as a user's folder would be.
enum TokenizerFixture {
    static let target = "AudioCodecTests"

    static let folder: URL = {
        let folder = try! Fixtures.temporaryFolder("higgs-codec-fixture")
        for name in ["config.json", "model.pth"] {
            try! Fixtures.unzipped(target, "tokenizer.zip", entry: name).write(to: folder.appendingPathComponent(name))
        }
        return folder
    }()

    static let tokenizer: AudioTokenizer = try! AudioTokenizer(folder: folder)

    /// The same weights with every convolution on the Float32 kernels, where the default takes AMX
    /// tiles for those it can (on CPUs that have them).
    static let float32Tokenizer: AudioTokenizer = try! AudioTokenizer(folder: folder, options: .init(tiles: false))

    /// The same weights with every convolution that can take Winograd's algorithm taking it (the
    /// small fixture is otherwise below the channel count where it pays).
    static let winogradTokenizer: AudioTokenizer = try! AudioTokenizer(folder: folder, options: .init(winogradMinimumChannels: 1, tiles: false))

    /// The same weights with the encoder's streamed layers fed pieces of 997 samples (a prime: no
    /// piece boundary lines up with a stride) and HuBERT scoring 7 queries at a time, where the
    /// fixture's clips would otherwise pass in one or two pieces and one block of queries.
    static let smallPiecesTokenizer: AudioTokenizer = try! AudioTokenizer(folder: folder, options: .init(encoderPieceSamples: 997, attentionRowsAtOnce: 7))

    static func int32s(_ path: String) throws -> [Int] {
        let data = try Data(contentsOf: Fixtures.url(target, path))
        return data.withUnsafeBytes { raw in (0..<data.count / 4).map { Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) } }
    }

    static func floats(_ path: String) throws -> [Float] {
        let data = try Data(contentsOf: Fixtures.url(target, path))
        return data.withUnsafeBytes { raw in (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) } }
    }

    /// Codes stored as int32 `[8, frames]`.
    static func codes(_ path: String) throws -> AudioCodes {
        let flat = try int32s(path)
        let frames = flat.count / 8
        return try AudioCodes(rows: (0..<8).map { Array(flat[$0 * frames..<($0 + 1) * frames]) })
    }

    /// Signal-to-noise ratio of `estimate` against `reference`, in dB.
    static func snr(_ estimate: ArraySlice<Float>, _ reference: ArraySlice<Float>) -> Double {
        precondition(estimate.count == reference.count)
        var signal = 0.0, noise = 0.0
        for (e, r) in zip(estimate, reference) {
            signal += Double(r) * Double(r)
            noise += (Double(e) - Double(r)) * (Double(e) - Double(r))
        }
        return noise == 0 ? .infinity : 10 * log10(signal / noise)
    }

    /// Largest absolute difference over the largest reference magnitude.
    static func relativeError(_ estimate: [Float], _ reference: [Float]) -> Float {
        precondition(estimate.count == reference.count)
        var peak: Float = 0, worst: Float = 0
        for (e, r) in zip(estimate, reference) {
            peak = max(peak, abs(r))
            worst = max(worst, abs(e - r))
        }
        return worst / max(peak, .leastNormalMagnitude)
    }
}
