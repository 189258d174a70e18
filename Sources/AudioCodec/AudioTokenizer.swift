import AudioIO
import Checkpoint
import Foundation
import Generation
import Kernels
import CCodecKernels

/// Higgs Audio v2's audio tokenizer: 24 kHz audio to 8 codebooks of codes at 25 frames per
/// second and back, from the published `config.json` + `model.pth` (a `torch.save` state dict).
///
/// The decoder (codes -> audio) loads at once; the encoder (audio -> codes, with its HuBERT
/// semantic model) loads on the first `encode`, since playback never needs it.
public final class AudioTokenizer: @unchecked Sendable {
    public let configuration: TokenizerConfiguration
    /// Names these weights for caches: the folder, the weights' size and modification time.
    public let identity: String
    let weights: TensorStore
    let quantizer: ResidualVectorQuantizer
    let postProjection: Dense  // fc_post2: quantizer width -> D
    let decoder: AcousticDecoder
    private let encoderLock = NSLock()
    private var loadedEncoder: TokenizerEncoder?

    /// How the tokenizer computes (its results agree either way, to rounding).
    public struct Options: Sendable {
        /// Kernel-7 convolutions with at least this many input channels (times dilation / 3 for
        /// dilations of 6 and more) run as Winograd F(6, 7): 3.5 times fewer multiplications, but
        /// below that the transforms cost more than they save.
        public var winogradMinimumChannels = 64
        /// Stride-1 convolutions whose output and input channels come in 32s run on AMX tiles where
        /// the CPU has them (Sapphire Rapids and later), in Float32 accuracy; Winograd is then not used.
        public var tiles = true
        /// Samples the encoder's convolutions (HuBERT's feature extractor, the acoustic encoder, whose
        /// deeper blocks take a quarter as many columns) take at a time, so that its memory grows little
        /// with the clip's length.
        public var encoderPieceSamples = 8192
        /// Queries of HuBERT's attention scored at once, per head: the scores are this many rows
        /// by the clip's frames (50 a second).
        public var attentionRowsAtOnce = 512

        public init(winogradMinimumChannels: Int = 64, tiles: Bool = true, encoderPieceSamples: Int = 8192,
                    attentionRowsAtOnce: Int = 512) {
            precondition(encoderPieceSamples > 0 && attentionRowsAtOnce > 0)
            self.winogradMinimumChannels = winogradMinimumChannels
            self.tiles = tiles
            self.encoderPieceSamples = encoderPieceSamples
            self.attentionRowsAtOnce = attentionRowsAtOnce
        }
    }

    public let options: Options

    public static let configFileName = "config.json"
    public static let weightsFileName = "model.pth"

    /// Opens a tokenizer folder (`config.json`, `model.pth`).
    public convenience init(folder: URL, options: Options = Options()) throws {
        let config = try TokenizerConfiguration.read(folder.appendingPathComponent(Self.configFileName))
        let weightsURL = folder.appendingPathComponent(Self.weightsFileName)
        guard FileManager.default.fileExists(atPath: weightsURL.path) else {
            throw CheckpointError(url: weightsURL, "file not found (the tokenizer folder needs config.json and model.pth)")
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: weightsURL.path)
        let size = (attributes?[.size] as? Int) ?? 0
        let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        try self.init(configuration: config, weights: try TorchArchive(url: weightsURL),
                      identity: "\(weightsURL.standardizedFileURL.path)|\(size)|\(modified)", options: options)
    }

    /// A tokenizer over any tensor store in the published key layout.
    public init(configuration: TokenizerConfiguration, weights: TensorStore, identity: String? = nil,
                options: Options = Options()) throws {
        Self.keepScratchInTheHeap()
        self.configuration = configuration
        self.options = options
        self.weights = weights
        self.identity = identity ?? weights.location
        let reader = WeightReader(store: weights, options: options)
        quantizer = try ResidualVectorQuantizer(reader, count: configuration.codebookCount, codebookSize: configuration.codebookSize)
        if let dimension = configuration.codebookDimension, dimension != quantizer.codebookDimension {
            throw reader.fail("codebook entries have width \(quantizer.codebookDimension), config.json says codebook_dim \(dimension)")
        }
        postProjection = try Dense(reader, "fc_post2", inFeatures: quantizer.dimension)
        guard postProjection.outFeatures == configuration.latentChannels else {
            throw reader.fail("fc_post2 gives \(postProjection.outFeatures) channels, config.json says D = \(configuration.latentChannels)")
        }
        decoder = try AcousticDecoder(reader, latentChannels: configuration.latentChannels, ratios: configuration.ratios)
    }

    public var sampleRate: Int { configuration.sampleRate }
    public var frameRate: Int { configuration.frameRate }
    public var samplesPerFrame: Int { configuration.samplesPerFrame }
    public var codebookCount: Int { configuration.codebookCount }
    public var codebookSize: Int { configuration.codebookSize }

    /// The decoder allocates its working buffers (up to a few tens of MB) afresh for every piece;
    /// by default glibc maps such blocks from the kernel and unmaps them on free, so every piece
    /// would fault in and clear fresh pages. Keeping blocks up to 32 MiB in the heap avoids that.
    private static let heapSettings: Void = codec_keep_scratch_in_heap()

    static func keepScratchInTheHeap() { _ = heapSettings }

    // MARK: Decoding

    /// Frames the decoder sees at once when decoding a whole sequence: bounds memory, and
    /// the streaming decoder makes the pieces join exactly.
    static let decodeChunkFrames = 128

    /// The waveform of `codes`: `samplesPerFrame` samples per frame at `sampleRate`.
    public func decode(_ codes: AudioCodes) throws -> [Float] {
        try validate(codes)
        let stream = streamingDecoder(batchFrames: 1)
        var samples: [Float] = []
        samples.reserveCapacity(codes.frameCount * samplesPerFrame)
        var start = 0
        while start < codes.frameCount {
            let end = min(start + Self.decodeChunkFrames, codes.frameCount)
            samples += try stream.append(codes.frames(start..<end))
            start = end
        }
        samples += stream.finish()
        return samples
    }

    /// A decoder for codes that arrive a few frames at a time (see `StreamingDecoder`). It decodes
    /// whenever `batchFrames` frames are waiting: each decode reads all the decoder's weights, so
    /// single frames cost several times more per frame than batches of a few.
    public func streamingDecoder(batchFrames: Int = 5) -> StreamingDecoder {
        StreamingDecoder(tokenizer: self, batchFrames: batchFrames)
    }

    func validate(_ codes: AudioCodes) throws {
        guard codes.numCodebooks == codebookCount else {
            throw CodecError("codes have \(codes.numCodebooks) codebooks, the tokenizer has \(codebookCount)")
        }
        for (q, row) in codes.rows.enumerated() {
            guard row.count == codes.frameCount else { throw CodecError("codebook \(q) has \(row.count) frames, codebook 0 has \(codes.frameCount)") }
            if let t = row.firstIndex(where: { $0 < 0 || $0 >= codebookSize }) {
                throw CodecError("code \(row[t]) in codebook \(q) at frame \(t) is outside 0..<\(codebookSize)")
            }
        }
    }

    /// The acoustic latent `[D, frames]` of valid codes: the quantized vectors through fc_post2.
    func latent(_ codes: AudioCodes) -> Signal {
        let frames = codes.frameCount
        let quantized = quantizer.decode(codes.rows)
        let projected = postProjection(quantized, rows: frames)
        return projected.withUnsafeBufferPointer {
            Signal.fromTimeMajor($0.baseAddress!, count: frames, channels: configuration.latentChannels)
        }
    }

    // MARK: Encoding

    /// The encoder, loaded on first use.
    func encoder() throws -> TokenizerEncoder {
        encoderLock.lock()
        defer { encoderLock.unlock() }
        if let loadedEncoder { return loadedEncoder }
        let loaded = try TokenizerEncoder(WeightReader(store: weights, options: options), configuration: configuration, quantizer: quantizer)
        loadedEncoder = loaded
        return loaded
    }
}

/// Decodes codes as they are generated and gives each piece of audio as soon as no later frame
/// can change it. The decoder's convolutions see `latencyFrames` frames ahead, so a frame's audio
/// is final once that many frames follow it; frames are decoded in batches of `batchFrames`, so
/// audio comes out at most `latencyFrames + batchFrames - 1` frames behind the input. `finish()`
/// gives the rest. The pieces joined are the whole-sequence decode.
public final class StreamingDecoder {
    let tokenizer: AudioTokenizer
    /// Frames decoded at once; may change between appends (the pieces still join exactly).
    public var batchFrames: Int {
        didSet { batchFrames = max(1, batchFrames) }
    }
    private var stream: AcousticDecoder.Stream
    private var pending: [[Int]]
    private var finished = false

    init(tokenizer: AudioTokenizer, batchFrames: Int) {
        self.tokenizer = tokenizer
        self.batchFrames = max(1, batchFrames)
        stream = AcousticDecoder.Stream(tokenizer.decoder)
        pending = Array(repeating: [], count: tokenizer.codebookCount)
    }

    /// Frames of look-ahead the decoder needs (the right half of its receptive field, rounded up):
    /// audio up to frame `n - latencyFrames` is final after `n` frames.
    public var latencyFrames: Int { tokenizer.decoder.lookAheadFrames(samplesPerFrame: tokenizer.samplesPerFrame) }

    /// Adds one frame (one code per codebook) and returns the samples it completes.
    public func append(frame: [Int]) throws -> [Float] {
        try append(try AudioCodes(rows: frame.map { [$0] }))
    }

    /// Adds frames and returns the samples they complete (none until a batch is full).
    public func append(_ codes: AudioCodes) throws -> [Float] {
        guard !finished else { throw CodecError("the streaming decoder has finished; start a new one") }
        try tokenizer.validate(codes)
        for q in 0..<pending.count { pending[q] += codes.rows[q] }
        guard pending[0].count >= batchFrames else { return [] }
        return decodePending(final: false)
    }

    /// The samples still held back; the decoder accepts no frames after this.
    public func finish() -> [Float] {
        guard !finished else { return [] }
        finished = true
        return decodePending(final: true)
    }

    private func decodePending(final: Bool) -> [Float] {
        let codes = try! AudioCodes(rows: pending)  // pending rows grow together
        pending = Array(repeating: [], count: pending.count)
        let latent = codes.frameCount > 0 ? tokenizer.latent(codes) : .zeros(channels: tokenizer.configuration.latentChannels, count: 0)
        return stream.push(latent, final: final)
    }
}
