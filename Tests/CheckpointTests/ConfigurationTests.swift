import Foundation
import Testing
import Checkpoint
import Transformer
import TestSupport

/// The published config.json decodes, and implies exactly the published tensor names and shapes.
@Suite struct ConfigurationTests {
    let published = Fixtures.url("CheckpointTests", "published/config.json")

    @Test func decodesThePublishedConfig() throws {
        let config = try Configuration.load(published)
        #expect(config.audioAdapterType == .dualFFNFastForward)
        #expect(config.audioDualFFNLayers == Array(0..<28))
        #expect(config.audioNumCodebooks == 8 && config.audioCodebookSize == 1024)
        #expect(config.audioStreamBOSId == 1024 && config.audioStreamEOSId == 1025)
        #expect(config.audioInTokenId == 128015 && config.audioOutTokenId == 128016)
        #expect(config.audioOutBOSTokenId == 128013 && config.audioEOSTokenId == 128012)
        #expect(config.useDelayPattern && config.skipAudioTower && config.encodeAudioInTokens)
        #expect(!config.useAudioOutSelfAttention)
        let text = config.text
        #expect(text.hiddenSize == 3072 && text.intermediateSize == 8192 && text.numHiddenLayers == 28)
        #expect(text.numAttentionHeads == 24 && text.numKeyValueHeads == 8 && text.headDim == 128)
        #expect(text.vocabSize == 128256 && text.rmsNormEps == 1e-5 && text.ropeTheta == 500000)
        let scaling = try #require(text.ropeScaling)
        #expect(scaling.ropeType == "llama3" && scaling.factor == 32 && scaling.lowFreqFactor == 1)
        #expect(scaling.highFreqFactor == 4 && scaling.originalMaxPositionEmbeddings == 8192)
    }

    @Test func impliesExactlyThePublishedTensors() throws {
        let config = try Configuration.load(published)
        let listed = try Fixtures.json("CheckpointTests", "published/tensors.json") as! [String: Any]
        let tensors = (listed["tensors"] as! [String: [Int]])
        #expect(config.expectedTensors == tensors)
        // bf16 bytes add up to the published total_size.
        let bytes: Int = tensors.values.map { (shape: [Int]) -> Int in shape.reduce(1, *) * 2 }.reduce(0, +)
        #expect(bytes == 11_542_566_912)
    }

    @Test func unknownKeysAreIgnored() throws {
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: published)) as! [String: Any]
        object["some_future_key"] = ["nested": true]
        var text = object["text_config"] as! [String: Any]
        text["another_unknown"] = 3
        object["text_config"] = text
        let config = try decode(object)
        #expect(config.text.hiddenSize == 3072)
    }

    @Test(arguments: [
        ("text_config", "missing required key 'text_config'"),
        ("text_config.hidden_size", "missing required key 'text_config.hidden_size'"),
        ("text_config.num_hidden_layers", "missing required key 'text_config.num_hidden_layers'"),
        ("audio_num_codebooks", "missing required key 'audio_num_codebooks'"),
        ("audio_adapter_type", "missing required key 'audio_adapter_type'"),
    ])
    func missingRequiredKeysAreNamed(key: String, message: String) throws {
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: published)) as! [String: Any]
        let parts = key.split(separator: ".").map(String.init)
        if parts.count == 1 {
            object.removeValue(forKey: parts[0])
        } else {
            var inner = object[parts[0]] as! [String: Any]
            inner.removeValue(forKey: parts[1])
            object[parts[0]] = inner
        }
        let error = try #require(throws: CheckpointError.self) { try decode(object) }
        #expect(error.problem == message)
        #expect(error.file.hasSuffix("config.json"))
    }

    @Test func wrongTypesAndInvalidJSONAndMissingFilesAreOneLineErrors() throws {
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: published)) as! [String: Any]
        var text = object["text_config"] as! [String: Any]
        text["hidden_size"] = "big"
        object["text_config"] = text
        let typeError = try #require(throws: CheckpointError.self) { try decode(object) }
        #expect(typeError.problem.hasPrefix("key 'text_config.hidden_size' has the wrong type"))

        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bad = folder.appendingPathComponent("config.json")
        try Data("{\"text_config\": {".utf8).write(to: bad)
        let jsonError = try #require(throws: CheckpointError.self) { try Configuration.load(folder) }
        #expect(jsonError.description == "\(bad.path): not valid JSON")

        let missing = try #require(throws: CheckpointError.self) {
            try Configuration.load(folder.appendingPathComponent("nowhere"))
        }
        #expect(missing.problem == "file not found")
    }

    @Test func unsupportedVariantsAreRefusedBeforeLoadingWeights() throws {
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: published)) as! [String: Any]
        object["audio_adapter_type"] = "stack"
        #expect(throws: CheckpointError.self) { try decode(object) }
        object["audio_adapter_type"] = "dual_ffn"
        object["audio_dual_ffn_layers"] = [0, 40]
        let error = try #require(throws: CheckpointError.self) { try decode(object) }
        #expect(error.problem.contains("layer 40"))
    }

    private func decode(_ object: [String: Any]) throws -> Configuration {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try JSONSerialization.data(withJSONObject: object).write(to: folder.appendingPathComponent("config.json"))
        return try Configuration.load(folder)
    }
}
