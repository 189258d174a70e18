import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a `.safetensors` file, streaming each tensor's bytes so large checkpoints never sit in memory.
public enum SafeTensorsWriter {
    public struct Entry: Sendable {
        public let name: String
        public let dtype: DType
        public let shape: [Int]

        public init(name: String, dtype: DType, shape: [Int]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
        }

        public var byteCount: Int { shape.reduce(1, *) * dtype.byteWidth }
    }

    /// Writes `entries` in order to `url` (atomically: a temporary file renamed at the end);
    /// `fill(entry, buffer)` provides the next bytes of `entry`, as many as the buffer holds.
    public static func write(
        _ entries: [Entry], to url: URL, metadata: [String: String] = ["format": "pt"],
        fill: (Entry, UnsafeMutableRawBufferPointer) throws -> Void
    ) throws {
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for e in entries {
            header[e.name] = ["dtype": e.dtype.rawValue, "shape": e.shape, "data_offsets": [offset, offset + e.byteCount]]
            offset += e.byteCount
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }  // keeps the data section 8-byte aligned

        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw CheckpointError(url: temporary, "cannot create")
        }
        do {
            let file = try FileHandle(forWritingTo: temporary)
            defer { try? file.close() }
            var length = UInt64(json.count).littleEndian
            try file.write(contentsOf: Data(bytes: &length, count: 8))
            try file.write(contentsOf: json)
            let chunk = 1 << 24
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64)
            defer { buffer.deallocate() }
            for e in entries {
                var remaining = e.byteCount
                while remaining > 0 {
                    let n = min(chunk, remaining)
                    let part = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n])
                    try fill(e, part)
                    try file.write(contentsOf: Data(bytesNoCopy: part.baseAddress!, count: n, deallocator: .none))
                    remaining -= n
                }
            }
            try file.synchronize()
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        guard rename(temporary.path, url.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw CheckpointError(url: url, "cannot write (\(String(cString: strerror(errno))))")
        }
    }
}
