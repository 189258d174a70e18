import Checkpoint
import Foundation
import TestSupport
import Testing

private let target = "AudioCodecTests"

private func archiveURL(_ name: String) -> URL { Fixtures.url(target, "archives/\(name)") }

private func openError(_ bytes: Data) -> String? {
    do {
        _ = try TorchArchive(data: bytes, location: "m.pth")
        return nil
    } catch let error as CheckpointError {
        return error.description
    } catch {
        return "unexpected \(error)"
    }
}

/// An archive whose pickle is `pickle`, with one float32 storage `data/0` of 4 elements.
private func withPickle(_ pickle: [UInt8]) throws -> Data {
    TorchArchiveWriter.zip(pickle: Data(pickle), storages: [[Float(1), 2, 3, 4].withUnsafeBytes { Data($0) }])
}

@Suite struct TorchArchiveTests {
    @Test(arguments: ["sample.pth", "deflated.pth", "zip64.pth"])
    func readsWhatTorchSaved(_ file: String) throws {
        let archive = try TorchArchive(url: archiveURL(file))
        let expected = try #require(try Fixtures.json(target, "archives/expected.json") as? [String: [String: Any]])
        #expect(Set(archive.tensorNames) == Set(expected.keys))
        for (name, facts) in expected {
            let tensor = try archive.tensor(name)
            #expect(tensor.dtype.rawValue == facts["dtype"] as? String, "\(name)")
            #expect(tensor.shape == facts["shape"] as? [Int], "\(name)")
            let values = try #require(facts["values"] as? [Double]).map { Float($0) }
            #expect(tensor.floats() == values, "\(name)")
        }
        #expect(try archive.tensor("long").integers() == [-3, -2, -1, 0, 1, 2])
        #expect(try archive.tensor("parametrizations.weight.original1").shape == [2, 3, 3])
        #expect(try archive.tensor("scalar").shape == [])
        #expect(try archive.tensor("empty").elementCount == 0)
    }

    @Test func contiguousStoredTensorsPointIntoTheMapping() throws {
        let archive = try TorchArchive(url: archiveURL("sample.pth"))
        let a = try archive.tensor("shared.a"), b = try archive.tensor("shared.b")
        // Two views of one storage, offsets 2 and 10 elements: 32 bytes apart in place.
        #expect(b.bytes.baseAddress! - a.bytes.baseAddress! == 8 * 4)
        #expect(Int(bitPattern: try archive.tensor("dense.weight").bytes.baseAddress!) % 64 == 0)
    }

    @Test func readsParameters() throws {
        let archive = try TorchArchive(url: archiveURL("params.pth"))
        #expect(try archive.tensor("p").floats() == [1, -2, 0.5, 4])
        #expect(try archive.tensor("q", shape: [1]).floats() == [3])
    }

    @Test func writerRoundTrip() throws {
        let tensors = [
            TorchArchiveWriter.Tensor(name: "a.weight", shape: [2, 3], floats: [1, 2, 3, 4, 5, -6]),
            TorchArchiveWriter.Tensor(name: "b", dtype: .i64, shape: [2], bytes: [Int64(7), -1 << 40].withUnsafeBytes { Data($0) }),
            TorchArchiveWriter.Tensor(name: "c", shape: [70000], floats: (0..<70000).map { Float($0) }),
        ]
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("model.pth")
        try TorchArchiveWriter.write(tensors, to: url)
        let archive = try TorchArchive(url: url)
        #expect(archive.tensorNames == ["a.weight", "b", "c"])
        #expect(try archive.tensor("a.weight", shape: [2, 3]).floats() == [1, 2, 3, 4, 5, -6])
        #expect(try archive.tensor("b").integers() == [7, -1 << 40])
        #expect(try archive.tensor("c").floats() == (0..<70000).map { Float($0) })
    }

    @Test func refusesCodeAndMalformedPickles() throws {
        // GLOBAL os.system, then a call: the classic pickle exploit.
        let exploit: [UInt8] = [0x80, 0x02] + Array("cos\nsystem\n".utf8) + [0x58, 2, 0, 0, 0] + Array("ls".utf8) + [0x85, 0x52, 0x2E]
        let message = try #require(openError(try withPickle(exploit)))
        #expect(message.hasPrefix("m.pth: data.pkl refers to os.system"))

        let builtins: [UInt8] = [0x80, 0x02, 0x8C, 8] + Array("builtins".utf8) + [0x8C, 4] + Array("eval".utf8) + [0x93, 0x2E]
        #expect(openError(try withPickle(builtins))?.contains("builtins.eval") == true)

        // A call of an allowed global other than the constructors we know.
        let callStorage: [UInt8] = [0x80, 0x02] + Array("ctorch\nFloatStorage\n".utf8) + [0x29, 0x52, 0x2E]
        #expect(openError(try withPickle(callStorage))?.contains("calls torch.FloatStorage, which is not allowed") == true)

        #expect(openError(try withPickle([0x80, 0x02, 0x7D])) == "m.pth: data.pkl is truncated (no STOP opcode)")
        #expect(openError(try withPickle([0x80, 0x02, 0x4B, 1, 0x2E]))?.contains("not hold a dict") == true)
        #expect(openError(try withPickle([0x80, 0x02, 0x7D, 0x58, 1, 0, 0, 0, 0x61, 0x4B, 3, 0x73, 0x2E]))?.contains("entry 'a' is the integer 3, not a tensor") == true)
        #expect(openError(try withPickle([0x80, 0x02, 0x58, 0xFF, 0xFF, 0xFF, 0x7F]))?.contains("truncated") == true)
        #expect(openError(try withPickle([0x80, 0x02, 0x6A, 0xFF, 0xFF, 0xFF, 0x7F, 0x2E]))?.contains("never written") == true)
        #expect(openError(try withPickle([0x80, 0x02, 0x73]))?.contains("underflow") == true)
        #expect(openError(try withPickle([0x80, 0x02, 0x8A, 9] + [UInt8](repeating: 1, count: 9)))?.contains("too large") == true)
        // Deep nesting is only values in an arena: no recursion, no crash.
        let deep: [UInt8] = [0x80, 0x02, 0x4B, 1] + [UInt8](repeating: 0x85, count: 100_000) + [0x2E]
        #expect(openError(try withPickle(deep))?.contains("not hold a dict") == true)
    }

    @Test func refusesBadArchives() throws {
        let sample = try Data(contentsOf: archiveURL("sample.pth"))
        #expect(openError(Data()) == "m.pth: empty file, not a torch.save archive")
        #expect(openError(Data("hello world, not a zip".utf8))?.contains("not a zip file") == true)
        #expect(openError(Data([0x80, 0x02, 0x8A, 0x0A] + [UInt8](repeating: 0, count: 40)))?.contains("legacy torch.save format") == true)
        // Every truncation is an error naming the file, never a crash.
        for cut in stride(from: 0, to: sample.count, by: 3) {
            let message = openError(sample.prefix(cut))
            #expect(message?.hasPrefix("m.pth: ") == true, "cut at \(cut)")
        }

        // A tensor whose view reaches past its storage; and one whose storage is missing.
        let tensor = TorchArchiveWriter.Tensor(name: "w", shape: [4], floats: [1, 2, 3, 4])
        var pickle = [UInt8](TorchArchiveWriter.pickle([tensor]))
        let shapeAt = try #require(pickle.indices.first { pickle[$0] == 0x28 && pickle[$0 + 1] == 0x4B && pickle[$0 + 2] == 4 && pickle[$0 + 3] == 0x74 })
        pickle[shapeAt + 2] = 5
        let larger = TorchArchiveWriter.zip(pickle: Data(pickle), storages: [tensor.bytes])
        #expect(openError(larger)?.contains("tensor 'w': a view of 5 elements over a storage of 4 (broadcast views are not supported)") == true)
        pickle[shapeAt + 2] = 4
        let offsetAt = try #require(pickle.indices.first { pickle[$0] == 0x51 && pickle[$0 + 1] == 0x4B && pickle[$0 + 2] == 0 })
        pickle[offsetAt + 2] = 1
        let past = TorchArchiveWriter.zip(pickle: Data(pickle), storages: [tensor.bytes])
        #expect(openError(past)?.contains("tensor 'w': shape [4], strides [1] at offset 1 reach past its storage of 4 elements") == true)
        let missing = TorchArchiveWriter.zip(pickle: TorchArchiveWriter.pickle([tensor]), storages: [])
        #expect(openError(missing) == "m.pth: tensor 'w': its storage data/0 is missing from the archive")

        // An entry claimed deflated whose data never ends the stream, and one that claims 2 GB: errors, not a
        // hang or an allocation on the file's word.
        var bytes = [UInt8](TorchArchiveWriter.archive([tensor]))
        let centralSignature: [UInt8] = [0x50, 0x4B, 0x01, 0x02]
        let found = (0..<(bytes.count - 46)).first { (i: Int) -> Bool in Array(bytes[i..<(i + 4)]) == centralSignature }
        let record = try #require(found)
        bytes[record + 10] = 8
        #expect(openError(Data(bytes))?.contains("does not inflate") == true)
        bytes.replaceSubrange((record + 24)..<(record + 28), with: [0xFF, 0xFF, 0xFF, 0x7F])
        #expect(openError(Data(bytes))?.contains("more than deflate can give") == true)

        let missingFile = URL(fileURLWithPath: "/nonexistent/model.pth")
        #expect(throws: CheckpointError(url: missingFile, "file not found")) { try TorchArchive(url: missingFile) }
    }

    @Test func fuzzedArchivesNeverCrash() throws {
        var fuzzer = TorchArchiveFuzzer(seed: 7)
        let outcome = try fuzzer.run(cases: 600)
        #expect(outcome.accepted + outcome.rejected == 600)
        // The cases reach both sides: some mutations leave a readable archive, most do not.
        #expect(outcome.accepted > 20)
        #expect(outcome.rejected > 200)
        #expect(outcome.reasons.count > 10)
    }
}
