import Foundation
import Testing
import TestSupport
import Transformer
import Kernels

/// q8 and q4 weights stay close to the bf16 model: teacher-forced audio logits of a random model of
/// moderate size (every matrix a multiple of the kernels' 512-column groups, as in the published model).
@Suite(.serialized) struct QuantizationTests {
    /// Written once per machine and reused (the weights file appears only when complete).
    static let folder: URL = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("higgs-tests/quantization-model-v1")
        if !FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path) {
            let config = RandomCheckpoint.config(layers: 3, hidden: 512, intermediate: 1536, heads: 8, kvHeads: 2,
                                                 headDim: 64, vocabulary: 1024)
            try! RandomCheckpoint.write(to: folder, config: config, seed: 7)
        }
        return folder
    }()

    /// A prompt of text and a reference clip, then audio-out frames fed one at a time (teacher forcing).
    static func audioLogits(_ model: Model) throws -> [[Float]] {
        let c = model.configuration
        var random = SplitMix(seed: 3)
        var prompt = ModelInput(numCodebooks: c.audioNumCodebooks)
        for _ in 0..<24 { prompt.appendText(Int(random.next() % 700)) }
        for _ in 0..<16 { prompt.appendAudio(.audioOut, frame: (0..<8).map { _ in Int(random.next() % 1024) }) }
        prompt.appendText(c.audioOutBOSTokenId)
        let session = Session(model: model, capacity: 128)
        try session.append(prompt, head: .audio)
        var logits = [Array(session.audioLogits)]
        for _ in 0..<12 {
            var step = ModelInput(numCodebooks: c.audioNumCodebooks)
            step.appendAudio(.audioOut, frame: (0..<8).map { _ in Int(random.next() % 1024) })
            try session.append(step, head: .audio)
            logits.append(Array(session.audioLogits))
        }
        return logits
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) {
            dot += Double(x) * Double(y); na += Double(x) * Double(x); nb += Double(y) * Double(y)
        }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    static let referenceLogits = try! audioLogits(Model.load(folder: folder, precision: .bf16))

    @Test(arguments: [(WeightPrecision.q8, 0.999), (.q4, 0.99)])
    func teacherForcedAudioLogitsStayClose(precision: WeightPrecision, minimum: Double) throws {
        let reference = Self.referenceLogits
        let quantized = try Model.load(folder: Self.folder, precision: precision, cache: .disabled)
        #expect(quantized.precision == precision)
        let logits = try Self.audioLogits(quantized)
        let similarities = zip(reference, logits).map { Self.cosine($0, $1) }
        let worst = similarities.min()!
        #expect(worst >= minimum, "\(precision): worst cosine similarity \(worst)")
        // The quantized model is a different model, not the same one: the logits do differ.
        #expect(similarities.contains { $0 < 0.999_999 })
    }

    @Test func secondLoadReadsTheCachedWeights() throws {
        let cacheFolder = try Fixtures.temporaryFolder("higgs-weight-cache")
        defer { try? FileManager.default.removeItem(at: cacheFolder) }
        let cache = QuantizedWeightCache(folder: cacheFolder)
        let first = try Model.load(folder: Self.folder, precision: .q4, cache: cache)
        #expect(!first.reusedQuantizedWeights)
        let files = try FileManager.default.contentsOfDirectory(atPath: cacheFolder.path)
        #expect(files.count == 1 && files[0].hasSuffix("-q4.weights"))
        let second = try Model.load(folder: Self.folder, precision: .q4, cache: cache)
        #expect(second.reusedQuantizedWeights)
        let logits = try Self.audioLogits(first)
        #expect(try Self.audioLogits(second) == logits)

        // A damaged cache file (here cut short) is rebuilt, not trusted. Models loaded earlier hold their
        // own copy of the weights and keep working.
        let file = cacheFolder.appendingPathComponent(files[0])
        let damaged = cacheFolder.appendingPathComponent("damaged")
        try Data(try Data(contentsOf: file).prefix(5000)).write(to: damaged)
        #expect(rename(damaged.path, file.path) == 0)
        let third = try Model.load(folder: Self.folder, precision: .q4, cache: cache)
        #expect(!third.reusedQuantizedWeights)
        #expect(try Self.audioLogits(third) == logits)
        #expect(try Self.audioLogits(first) == logits)
    }

    /// When a checkpoint's files change (a new download, a rewritten checkpoint), its next quantization
    /// replaces the file its old files had at that precision, and leaves every other file alone: its other
    /// precision, another folder's, and files the cache did not write.
    @Test func aChangedCheckpointReplacesItsCacheFile() throws {
        let work = try Fixtures.temporaryFolder("higgs-superseded")
        defer { try? FileManager.default.removeItem(at: work) }
        let config = RandomCheckpoint.config(layers: 1, hidden: 512, intermediate: 512, heads: 8, kvHeads: 2,
                                             headDim: 64, vocabulary: 512)
        let a = work.appendingPathComponent("a"), b = work.appendingPathComponent("b")
        try RandomCheckpoint.write(to: a, config: config, seed: 1)
        try RandomCheckpoint.write(to: b, config: config, seed: 1)
        let cacheFolder = work.appendingPathComponent("cache")
        let cache = QuantizedWeightCache(folder: cacheFolder)
        func files() throws -> Set<String> { Set(try FileManager.default.contentsOfDirectory(atPath: cacheFolder.path)) }

        _ = try Model.load(folder: a, precision: .q4, cache: cache)
        let oldQ4 = try files()
        _ = try Model.load(folder: a, precision: .q8, cache: cache)
        _ = try Model.load(folder: b, precision: .q4, cache: cache)
        let strangers = ["notes.txt", "0123456789abcdef-q4.weights"]
        for name in strangers { try Data("not a cache file".utf8).write(to: cacheFolder.appendingPathComponent(name)) }
        let before = try files()
        #expect(before.count == 5)

        // The checkpoint's weights change (here only their time): a new identity, quantized afresh.
        let weights = a.appendingPathComponent("model.safetensors").path
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000)], ofItemAtPath: weights)
        let changed = try Model.load(folder: a, precision: .q4, cache: cache)
        #expect(!changed.reusedQuantizedWeights)
        let after = try files()
        #expect(after.count == 5)
        #expect(after.isDisjoint(with: oldQ4), "the old q4 file of a is gone")
        #expect(before.subtracting(oldQ4).isSubset(of: after), "a's q8, b's q4 and the strangers stay")
        #expect(try Model.load(folder: a, precision: .q4, cache: cache).reusedQuantizedWeights)
        #expect(try Model.load(folder: b, precision: .q4, cache: cache).reusedQuantizedWeights)
    }

    /// The matrices held in memory rather than mapped are exactly those an audio step reads: their bytes
    /// are the step's bytes as the model counts them.
    @Test(arguments: [WeightPrecision.q8, .q4])
    func residentMatricesAreTheAudioStepsOwn(precision: WeightPrecision) throws {
        let model = try Model.load(folder: Self.folder, precision: precision, cache: .disabled)
        let c = model.configuration
        let resident = c.quantizableTensors.filter { c.readByAudioSteps($0.key) }
        let bytes = resident.reduce(0) { total, tensor in
            total + Quantization.bytes(rows: tensor.value[0], cols: tensor.value[1], format: precision.format(of: tensor.key)!)
        }
        #expect(bytes == model.audioStepBytes)
        #expect(!c.readByAudioSteps("audio_decoder_proj.text_lm_head.weight") && !c.readByAudioSteps("layers.0.mlp.up_proj.weight"))
    }

    @Test func quantizedWeightsAreSmaller() throws {
        let bf16 = try Model.load(folder: Self.folder, precision: .bf16)
        let q8 = try Model.load(folder: Self.folder, precision: .q8, cache: .disabled)
        let q4 = try Model.load(folder: Self.folder, precision: .q4, cache: .disabled)
        // Every width here is a multiple of the 512-column groups, so nothing is padded: q8 is 8.5 bits
        // per weight against 16, and q4 between 4.5 (all 4-bit) and 8.5 (its 6- and 8-bit matrices).
        let q8Ratio = Double(q8.audioStepBytes) / Double(bf16.audioStepBytes)
        let q4Ratio = Double(q4.audioStepBytes) / Double(bf16.audioStepBytes)
        #expect(abs(q8Ratio - 8.5 / 16) < 1e-12)
        #expect(q4Ratio > 4.5 / 16 && q4Ratio < q8Ratio)
        #expect(q4.weightBytes < q8.weightBytes && q8.weightBytes < bf16.weightBytes)
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
