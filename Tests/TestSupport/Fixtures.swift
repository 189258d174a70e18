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

/// A listener at the far end of an ALSA `file` device writing into a FIFO: it takes the raw 16-bit samples
/// at the pace of real time (24 kHz), so a player blocks as on a real sound card, and a test can follow
/// what plays as a person would hear it (the `null` device alone plays as fast as it is given audio).
public final class PacedListener: @unchecked Sendable {
    public let fifo: URL
    private let descriptor: Int32
    private let lock = NSLock()
    private var done = false
    private var thread: Thread?

    /// Makes the FIFO and a device `name` in the ALSA configuration `file` that plays into it.
    public init(device name: String, in folder: URL, configuration file: URL, sampleRate: Int = 24_000) throws {
        fifo = folder.appendingPathComponent("\(name).fifo")
        guard mkfifo(fifo.path, 0o600) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: fifo.path]) }
        // Open for reading without waiting for the player, then read in blocking mode.
        descriptor = open(fifo.path, O_RDONLY | O_NONBLOCK)
        guard descriptor >= 0 else { throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: fifo.path]) }
        _ = fcntl(descriptor, F_SETFL, 0)
        try Fixtures.writeCaptureDevice(name, capturingTo: fifo, in: file)
        let bytesPerSlice = sampleRate * 2 / 50  // 20 ms
        let fd = descriptor
        let t = Thread { [unowned self] in
            var buffer = [UInt8](repeating: 0, count: bytesPerSlice)
            var due = Date()
            while !self.isDone {
                var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&ready, 1, 50) > 0 else { continue }
                let n = read(fd, &buffer, bytesPerSlice)
                if n <= 0 { usleep(5_000); continue }  // no player at the other end
                // Each slice taken is waited for as long as it lasts; after a silence, from now.
                due = max(due, Date().addingTimeInterval(-0.1)).addingTimeInterval(Double(n) / Double(sampleRate * 2))
                let wait = due.timeIntervalSinceNow
                if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
            }
        }
        thread = t
        t.start()
    }

    private var isDone: Bool { lock.lock(); defer { lock.unlock() }; return done }

    /// Stops listening; call after the player has gone (a writer without a reader gets SIGPIPE).
    public func close() {
        lock.lock()
        done = true
        lock.unlock()
        while thread?.isFinished == false { usleep(5_000) }
        Foundation.close(descriptor)
    }
}
