import Foundation
import Testing
import Checkpoint
import Transformer
import TestSupport

/// The tiny checkpoints the reference saved (bf16 sharded with an index, f16 and f32 single files)
/// load value for value, and their tensors are exactly those the config implies.
@Suite struct LoadingTests {
    static let expected = try! Fixtures.json("CheckpointTests", "expected.json") as! [String: [String: [String: Any]]]

    @Test(arguments: ["tiny-bf16-sharded", "tiny-f16", "tiny-f32"])
    func loadsEveryTensorAsTheReferenceSavedIt(folderName: String) throws {
        let folder = Fixtures.url("CheckpointTests", folderName)
        let checkpoint = try SafeTensorsCheckpoint(folder: folder)
        let config = try Configuration.load(folder)
        try checkpoint.verify(expected: config.expectedTensors)

        let golden = try #require(Self.expected[folderName])
        #expect(Set(checkpoint.tensorNames) == Set(golden.keys))
        for (name, facts) in golden {
            let tensor = try checkpoint.tensor(name)
            #expect(tensor.dtype.rawValue == facts["dtype"] as? String, "\(name)")
            #expect(tensor.shape == facts["shape"] as? [Int], "\(name)")
            let values = tensor.floats()
            let first = try #require(facts["first"] as? [Double])
            #expect(values.prefix(first.count).map(Double.init) == first, "\(name) first values")
            let sum = values.reduce(0.0) { $0 + Double($1) }
            let squares = values.reduce(0.0) { $0 + Double($1) * Double($1) }
            let goldenSquares = try #require(facts["sum_of_squares"] as? Double)
            // Float64 sums of the same values differ only by summation order.
            #expect(abs(sum - (facts["sum"] as! Double)) <= 1e-9 * max(1, goldenSquares), "\(name) sum")
            #expect(abs(squares - goldenSquares) <= 1e-9 * max(1, goldenSquares), "\(name) sum of squares")
        }
    }

    @Test func shardedCheckpointMapsEachTensorToItsShard() throws {
        let folder = Fixtures.url("CheckpointTests", "tiny-bf16-sharded")
        let checkpoint = try SafeTensorsCheckpoint(folder: folder)
        #expect(checkpoint.shards.count == 3)
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("model.safetensors.index.json"))) as! [String: Any]
        let map = index["weight_map"] as! [String: String]
        for (name, shard) in map {
            let owner = checkpoint.shards.first { $0.entries[name] != nil }
            #expect(owner?.file.url.lastPathComponent == shard)
        }
        // total_size in the index is the bytes of all tensors.
        let total = (index["metadata"] as! [String: Any])["total_size"] as! Int
        #expect(checkpoint.tensorNames.map { try! checkpoint.tensor($0).bytes.count }.reduce(0, +) == total)
    }

    @Test func tensorsAreViewsIntoTheMappedFileNotCopies() throws {
        let file = try SafeTensorsFile(url: Fixtures.url("CheckpointTests", "tiny-f32/model.safetensors"))
        let tensor = try file.tensor("embed_tokens.weight")
        let base = UInt(bitPattern: file.file.bytes.baseAddress!)
        let start = UInt(bitPattern: tensor.bytes.baseAddress!)
        #expect(start >= base && start + UInt(tensor.bytes.count) <= base + UInt(file.file.count))
    }

    @Test func verifyNamesMissingUnexpectedAndMisshapedTensors() throws {
        let checkpoint = try SafeTensorsCheckpoint(folder: Fixtures.url("CheckpointTests", "tiny-f32"))
        var expected = try Configuration.load(Fixtures.url("CheckpointTests", "tiny-f32")).expectedTensors
        expected["layers.2.mlp.up_proj.weight"] = [32, 16]
        expected.removeValue(forKey: "norm.weight")
        expected["embed_tokens.weight"] = [255, 16]
        let error = try #require(throws: CheckpointError.self) { try checkpoint.verify(expected: expected) }
        #expect(error.problem.contains("missing tensors: layers.2.mlp.up_proj.weight"))
        #expect(error.problem.contains("unexpected tensors: norm.weight"))
        #expect(error.problem.contains("misshaped tensors: embed_tokens.weight is [256, 16], expected [255, 16]"))
        #expect(!error.description.contains("\n"))
    }
}
