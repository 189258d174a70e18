import Foundation
import Testing
import Checkpoint
import TestSupport
import Transformer

@Suite struct LoadingTests {
    /// Geometry A is sharded, geometry B a single file; both are bf16 as published.
    @Test func bothFixtureLayoutsLoad() throws {
        let fm = FileManager.default
        #expect(fm.fileExists(atPath: Geometry.a.folder.appendingPathComponent("model.safetensors.index.json").path))
        #expect(fm.fileExists(atPath: Geometry.b.folder.appendingPathComponent("model.safetensors").path))
        let a = try Geometry.a.load().configuration
        #expect(a.audioAdapterType == .dualFFNFastForward && a.audioDualFFNLayers == Array(0..<a.text.numHiddenLayers))
        #expect(a.text.ropeScaling?.ropeType == "llama3")
        let b = try Geometry.b.load().configuration
        #expect(b.text.ropeScaling == nil && b.audioDualFFNLayers == [0, 2])
        #expect(b.text.numAttentionHeads / b.text.numKeyValueHeads != a.text.numAttentionHeads / a.text.numKeyValueHeads)
    }

    /// A config that does not match the weights gives one error naming the folder and every problem.
    @Test func mismatchedCheckpointIsOneClearError() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = Geometry.b.folder
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.safetensors"),
                                         to: folder.appendingPathComponent("model.safetensors"))
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as! [String: Any]
        var text = config["text_config"] as! [String: Any]
        text["num_hidden_layers"] = 5
        text["intermediate_size"] = 100
        config["text_config"] = text
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("config.json"))

        let error = try #require(throws: CheckpointError.self) { try Model.load(folder: folder) }
        #expect(error.file == folder.path)
        #expect(error.problem.contains("missing tensors: layers.4."))
        #expect(error.problem.contains("misshaped tensors: layers.0.audio_mlp.down_proj.weight is [64, 96], expected [64, 100]"))
        #expect(!error.description.contains("\n"))
    }

    @Test func invalidInputIsRefused() throws {
        let model = try Geometry.b.load()
        let c = model.configuration
        let session = Session(model: model)
        var input = ModelInput(numCodebooks: c.audioNumCodebooks)
        input.appendText(c.text.vocabSize)
        #expect(throws: ModelInputError.self) { try session.append(input) }
        input.removeAll()
        input.appendAudio(.audioOut, frame: Array(repeating: c.audioCodebookEntries, count: c.audioNumCodebooks))
        #expect(throws: ModelInputError.self) { try session.append(input) }
        #expect(session.count == 0)
    }
}

/// Rotary frequencies equal the reference's, with llama3 scaling (the published config: every branch of
/// the scaling is used by its 64 frequencies) and without (geometry B).
@Suite struct RotaryEmbeddingTests {
    @Test(arguments: ["published", "b"])
    func inverseFrequenciesMatchTheReference(_ name: String) throws {
        let doc = try Fixtures.json("TransformerTests", "rope.json") as! [String: [String: Any]]
        let entry = try #require(doc[name])
        let text = try JSONSerialization.data(withJSONObject: entry["text_config"]!)
        let config = try JSONDecoder().decode(TextConfiguration.self, from: text)
        let expected = (entry["inverse_frequencies"] as! [Double]).map(Float.init)
        let ours = RotaryEmbedding(config).inverseFrequencies
        #expect(ours.count == expected.count)
        for (a, b) in zip(ours, expected) {
            #expect(abs(a - b) <= 2e-7 * abs(b), "\(a) vs \(b)")
        }
    }
}
