import Foundation
import Testing
import Checkpoint
import TestSupport

/// Every kind of broken checkpoint gives one clear error naming the file and the problem.
@Suite struct BadInputTests {
    let good = Fixtures.url("CheckpointTests", "tiny-f32/model.safetensors")

    /// The good file split into its header object and data section.
    func parts() throws -> (header: [String: Any], data: Data) {
        let bytes = try Data(contentsOf: good)
        let length = Int(bytes.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        let header = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<8 + length)) as! [String: Any]
        return (header, bytes.subdata(in: 8 + length..<bytes.count))
    }

    func file(header: [String: Any], data: Data, lengthField: UInt64? = nil) throws -> Data {
        let json = try JSONSerialization.data(withJSONObject: header)
        var out = Data()
        withUnsafeBytes(of: (lengthField ?? UInt64(json.count)).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(data)
        return out
    }

    /// Writes `bytes` as a model file in a fresh folder and returns the error loading it gives.
    func loadError(_ bytes: Data) throws -> CheckpointError {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("model.safetensors")
        try bytes.write(to: url)
        let error = try #require(throws: CheckpointError.self) { _ = try SafeTensorsCheckpoint(folder: folder) }
        #expect(error.file == url.path)
        #expect(!error.description.contains("\n"))
        return error
    }

    func mutatedEntry(_ name: String = "norm.weight", _ change: (inout [String: Any]) -> Void) throws -> Data {
        var (header, data) = try parts()
        var entry = header[name] as! [String: Any]
        change(&entry)
        header[name] = entry
        return try file(header: header, data: data)
    }

    @Test func truncatedFiles() throws {
        let bytes = try Data(contentsOf: good)
        #expect(try loadError(bytes.prefix(5)).problem.hasPrefix("truncated: 5 bytes"))
        #expect(try loadError(bytes.prefix(100)).problem.hasPrefix("header length"))
        // Cut inside the data section: the last tensors' offsets now run past the end.
        #expect(try loadError(bytes.prefix(bytes.count - 10)).problem.contains("lie outside the data section"))
        #expect(try loadError(Data()).problem.hasPrefix("truncated: 0 bytes"))
    }

    @Test func headerLengthPastTheEnd() throws {
        let (header, data) = try parts()
        let error = try loadError(try file(header: header, data: data, lengthField: 1 << 40))
        #expect(error.problem.hasPrefix("header length 1099511627776 runs past the end of the file"))
    }

    @Test func outOfRangeAndOverlappingOffsets() throws {
        let outside = try mutatedEntry { $0["data_offsets"] = [0, 1 << 30] }
        #expect(try loadError(outside).problem.contains("norm.weight': data offsets [0, 1073741824] lie outside"))
        let negative = try mutatedEntry { $0["data_offsets"] = [-64, 0] }
        #expect(try loadError(negative).problem.contains("lie outside"))

        var (header, data) = try parts()
        let embed = header["embed_tokens.weight"] as! [String: Any]
        let embedStart = (embed["data_offsets"] as! [Int])[0]
        var norm = header["norm.weight"] as! [String: Any]
        norm["data_offsets"] = [embedStart + 4, embedStart + 4 + 64]  // 16 floats inside the embedding's bytes
        header["norm.weight"] = norm
        let overlap = try loadError(try file(header: header, data: data))
        #expect(overlap.problem.contains("overlap in the data section"))
        #expect(overlap.problem.contains("embed_tokens.weight") && overlap.problem.contains("norm.weight"))
    }

    @Test func unknownDtypeAndShapeSizeMismatch() throws {
        let f64 = try mutatedEntry { $0["dtype"] = "F64" }
        #expect(try loadError(f64).problem == "tensor 'norm.weight': unsupported dtype F64 (expected BF16, F16, F32 or I64)")
        let shape = try mutatedEntry { $0["shape"] = [17] }
        #expect(try loadError(shape).problem == "tensor 'norm.weight': 64 bytes of data for shape [17] of F32 (68 expected)")
        let badShape = try mutatedEntry { $0["shape"] = [4, -4] }
        #expect(try loadError(badShape).problem.contains("is not a list of non-negative integers"))
        let fraction = try mutatedEntry { $0["shape"] = [15.5] }
        #expect(try loadError(fraction).problem.contains("is not a list of non-negative integers"))
        let hugeShape = try mutatedEntry { $0["shape"] = [1 << 40, 1 << 40] }
        #expect(try loadError(hugeShape).problem.contains("is too large"))
        let noOffsets = try mutatedEntry { $0.removeValue(forKey: "data_offsets") }
        #expect(try loadError(noOffsets).problem.contains("data_offsets must be two integers"))
    }

    @Test func invalidJSONHeader() throws {
        let (_, data) = try parts()
        var bytes = Data()
        let text = Data("{\"norm.weight\": {\"dtype\": \"F32\",".utf8)
        withUnsafeBytes(of: UInt64(text.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(text)
        bytes.append(data)
        #expect(try loadError(bytes).problem == "header is not valid JSON")
        var list = Data()
        withUnsafeBytes(of: UInt64(2).littleEndian) { list.append(contentsOf: $0) }
        list.append(Data("[]".utf8))
        #expect(try loadError(list).problem == "header is not a JSON object")
    }

    @Test func missingShardAndBrokenIndex() throws {
        let source = Fixtures.url("CheckpointTests", "tiny-bf16-sharded")
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        let shard = folder.appendingPathComponent("model-00002-of-00003.safetensors")
        try FileManager.default.removeItem(at: shard)
        let missing = try #require(throws: CheckpointError.self) { _ = try SafeTensorsCheckpoint(folder: folder) }
        #expect(missing.description == "\(shard.path): shard named in model.safetensors.index.json is missing")

        let index = folder.appendingPathComponent("model.safetensors.index.json")
        try Data("{\"weight_map\": {\"a\": ".utf8).write(to: index)
        let broken = try #require(throws: CheckpointError.self) { _ = try SafeTensorsCheckpoint(folder: folder) }
        #expect(broken.description == "\(index.path): not valid JSON")

        try Data("{\"weight_map\": {\"a\": \"../../etc/passwd\"}}".utf8).write(to: index)
        let escape = try #require(throws: CheckpointError.self) { _ = try SafeTensorsCheckpoint(folder: folder) }
        #expect(escape.problem.contains("is not a file name in this folder"))

        try Data("{\"weight_map\": {\"nonexistent.weight\": \"model-00001-of-00003.safetensors\"}}".utf8).write(to: index)
        let absent = try #require(throws: CheckpointError.self) { _ = try SafeTensorsCheckpoint(folder: folder) }
        #expect(absent.problem == "tensor 'nonexistent.weight' listed in model.safetensors.index.json is not in this shard")
    }

    @Test func emptyFolderSaysWhatItLookedFor() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let error = try #require(throws: CheckpointError.self) { _ = try SafeTensorsCheckpoint(folder: folder) }
        #expect(error.problem == "no model.safetensors or model.safetensors.index.json in this folder")
    }
}

/// Random and mutated headers never crash the parser, and what it accepts is sound.
@Suite struct FuzzTests {
    @Test func fiveHundredRandomAndMutatedHeaders() throws {
        var fuzzer = SafeTensorsFuzzer(seed: 0x5AFE_7E45)
        let outcome = try fuzzer.run(cases: 500)
        #expect(outcome.accepted + outcome.rejected == 500)
        // The cases reach both sides of the parser.
        #expect(outcome.accepted > 25 && outcome.rejected > 250)
        #expect(outcome.reasons.count > 8)
    }
}
