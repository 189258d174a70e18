import Foundation
import ZIPFoundation

/// Where the committed parity fixtures live, found from this source file so tests run from a clean clone.
public enum Fixtures {
    /// `Tests/`
    public static let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

    /// A fixture of a test target: `Tests/<target>/Fixtures/<path>`.
    public static func url(_ target: String, _ path: String) -> URL {
        testsFolder.appendingPathComponent(target).appendingPathComponent("Fixtures").appendingPathComponent(path)
    }

    /// Decoded JSON of a fixture file.
    public static func json(_ target: String, _ path: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url(target, path)))
    }

    /// One entry of a zipped fixture (large text fixtures are committed zipped).
    public static func unzipped(_ target: String, _ zip: String, entry: String) throws -> Data {
        let archive = try Archive(url: url(target, zip), accessMode: .read)
        guard let item = archive[entry] else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "\(zip)/\(entry)"])
        }
        var data = Data()
        _ = try archive.extract(item, skipCRC32: false) { data.append($0) }
        return data
    }

    /// A fresh temporary folder, removed by the caller with `cleanUp`.
    public static func temporaryFolder(_ label: String = "higgs-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes to `file` an ALSA configuration (asoundrc syntax) defining the playback device `name`: a
    /// `type file` pcm over `null` that writes what it plays, raw, to `capture`.
    public static func writeCaptureDevice(_ name: String, capturingTo capture: URL, in file: URL) throws {
        try writeFileDevice(name, output: capture, input: nil, in: file)
    }

    /// An ALSA device, as a user would define one, whose capture side reads raw S16_LE mono from `input`
    /// (at the pace of the `null` device): a microphone that says what the test wants.
    public static func writeRecordingDevice(_ name: String, readingFrom input: URL, in file: URL) throws {
        try writeFileDevice(name, output: URL(fileURLWithPath: "/dev/null"), input: input, in: file)
    }

    /// Raw S16_LE samples, as an ALSA `file` device reads or writes them.
    public static func rawSamples(_ samples: [Int16]) -> Data {
        samples.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    /// A `type file` pcm over `null`: what is played goes to `output`, what is recorded comes from `input`.
    private static func writeFileDevice(_ name: String, output: URL, input: URL?, in file: URL) throws {
        let body = ["type file", "slave.pcm \"null\"", "file \"\(output.path)\""]
            + (input.map { ["infile \"\($0.path)\""] } ?? []) + ["format \"raw\""]
        try "pcm.\(name) {\n\(body.map { "    \($0)\n" }.joined())}\n\n".write(to: file, atomically: true, encoding: .utf8)
    }
}
