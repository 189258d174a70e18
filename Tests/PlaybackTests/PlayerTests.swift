import AudioIO
import Foundation
import Playback
import TestSupport
import Testing

/// The player on ALSA's `file` plugin over the `null` device: the plugin writes every frame the player
/// hands to the device into a raw S16_LE file, so the test sees exactly what was played.
@Suite(.serialized) struct PlayerTests {
    /// A finished or growing source of samples.
    final class Samples: PlaybackSource, @unchecked Sendable {
        private let lock = NSLock()
        private var samples: [Float]
        private var ended: Bool

        init(_ samples: [Float], ended: Bool) {
            self.samples = samples
            self.ended = ended
        }

        func append(_ more: [Float], end: Bool = false) {
            lock.lock()
            samples += more
            ended = end
            lock.unlock()
        }

        func read(from offset: Int, into buffer: UnsafeMutableBufferPointer<Float>) -> (count: Int, ended: Bool) {
            lock.lock()
            defer { lock.unlock() }
            let n = max(0, min(buffer.count, samples.count - offset))
            for i in 0..<n { buffer[i] = samples[offset + i] }
            return (n, ended && offset + n == samples.count)
        }

        func available(from offset: Int) -> (count: Int, ended: Bool) {
            lock.lock()
            defer { lock.unlock() }
            return (max(0, samples.count - offset), ended)
        }
    }

    /// Two seconds of a gliding tone with full-scale and out-of-range peaks.
    static let signal: [Float] = (0..<48_000).map { i in
        let t = Float(i) / 24_000
        let x = 0.8 * sinf(2 * .pi * (220 + 110 * t) * t)
        return i % 5_000 == 0 ? 1.5 : (i % 7_000 == 0 ? -1 : x)
    }

    static func captured(_ url: URL) throws -> [Int16] {
        let data = try Data(contentsOf: url)
        return data.withUnsafeBytes { raw in (0..<(data.count / 2)).map { Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self)) } }
    }

    /// The 16-bit samples of the WAV file AudioIO writes for `samples` (what export writes).
    static func exported(_ samples: [Float]) -> [Int16] {
        let wav = WAVFile.encode(samples, sampleRate: 24_000, format: .pcm16)
        return wav.dropFirst(44).withUnsafeBytes { raw in
            (0..<(raw.count / 2)).map { Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self)) }
        }
    }

    @Test func finishedSourcePlaysExactly() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out.raw")
        let player = AudioPlayer(device: "file:FILE=\(out.path),FORMAT=raw")
        player.play(Samples(Self.signal, ended: true))
        let status = player.waitUntilDone(timeout: 30)
        #expect(status.state == .finished)
        #expect(status.position == Self.signal.count)
        let got = try Self.captured(out)
        #expect(got.count == Self.signal.count)
        #expect(got == Self.signal.map(PCM16.sample))
        #expect(got == Self.exported(Self.signal))
    }

    /// A source that grows while it plays (a line being generated): playback starts with the first piece,
    /// waits when it runs dry (recovering the device's underrun) and plays every sample once, in order.
    @Test func growingSourcePlaysEverySampleOnce() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out.raw")
        let source = Samples(Array(Self.signal[0..<3_000]), ended: false)
        let player = AudioPlayer(device: "file:FILE=\(out.path),FORMAT=raw")
        player.play(source)
        var at = 3_000
        while at < Self.signal.count {
            usleep(5_000)
            let next = min(Self.signal.count, at + 4_321)
            source.append(Array(Self.signal[at..<next]), end: next == Self.signal.count)
            at = next
        }
        let status = player.waitUntilDone(timeout: 30)
        #expect(status.state == .finished)
        #expect(try Self.captured(out) == Self.exported(Self.signal))
    }

    /// Polls the player until `ready` holds for its status or `timeout` seconds pass; returns the last status.
    static func status(of player: AudioPlayer, within timeout: Double, until ready: (AudioPlayer.Status) -> Bool) -> AudioPlayer.Status {
        let deadline = Date().addingTimeInterval(timeout)
        var status = player.currentStatus
        while !ready(status) && Date() < deadline {
            usleep(2_000)
            status = player.currentStatus
        }
        return status
    }

    /// A growing source plays only once it has the lead waiting; when it runs dry the player asks for
    /// twice the lead before it plays on, and an ended source plays out whatever it has.
    @Test func growingSourceWaitsForTheLead() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out.raw")
        let source = Samples(Array(Self.signal[0..<2_400]), ended: false)
        let player = AudioPlayer(device: "file:FILE=\(out.path),FORMAT=raw", lead: PlaybackLead(initial: 9_600, maximum: 40_000))
        player.play(source)
        // 0.1 s of the 0.4 s lead: nothing is played however long it waits.
        var status = Self.status(of: player, within: 10) { $0.state == .waiting }
        usleep(300_000)
        status = player.currentStatus
        #expect(status.state == .waiting)
        #expect(status.position == 0)
        #expect(status.lead == 9_600)

        // With the lead there it plays everything there is, runs dry, and then waits for 0.8 s.
        source.append(Array(Self.signal[2_400..<12_000]))
        status = Self.status(of: player, within: 10) { $0.lead == 19_200 && $0.state == .waiting }
        #expect(status.lead == 19_200)
        #expect(status.state == .waiting)
        let heard = status.position
        #expect(heard > 0 && heard <= 12_000)
        source.append(Array(Self.signal[12_000..<30_000]))
        usleep(300_000)
        #expect(player.currentStatus.position == heard)

        // Past the new lead it plays on; the end plays out without a lead.
        source.append(Array(Self.signal[30_000..<32_000]))
        status = Self.status(of: player, within: 10) { $0.position > heard }
        #expect(status.position > heard)
        source.append(Array(Self.signal[32_000..<Self.signal.count]), end: true)
        #expect(player.waitUntilDone(timeout: 30).state == .finished)
        #expect(try Self.captured(out) == Self.exported(Self.signal))
    }

    /// A device defined the way a user would: a `type file` pcm over `null` in an asoundrc, given to the
    /// player (not through ALSA_CONFIG_PATH: setting the environment while other tests start processes
    /// races with them).
    @Test func asoundrcDefinedCaptureDevice() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("captured.raw")
        let rc = folder.appendingPathComponent("asoundrc")
        try Fixtures.writeCaptureDevice("higgs_capture", capturingTo: out, in: rc)
        #expect(AudioPlayer.probe(device: "higgs_capture")?.description.contains("cannot open") == true)
        #expect(AudioPlayer.probe(device: "higgs_capture", configuration: rc) == nil)
        let missing = folder.appendingPathComponent("no-such-asoundrc")
        #expect(AudioPlayer.probe(device: "higgs_capture", configuration: missing)?.description
                    .hasPrefix("audio device 'higgs_capture': configuration \(missing.path): ") == true)
        let player = AudioPlayer(device: "higgs_capture", configuration: rc)
        let piece = Array(Self.signal[0..<10_000])
        player.play(Samples(piece, ended: true))
        #expect(player.waitUntilDone(timeout: 30).state == .finished)
        #expect(try Self.captured(out) == Self.exported(piece))
    }

    @Test func missingDeviceIsAClearError() {
        let error = AudioPlayer.probe(device: "no_such_device_here")
        #expect(error?.description.hasPrefix("audio device 'no_such_device_here': cannot open (") == true)
        let player = AudioPlayer(device: "no_such_device_here")
        player.play(Samples([0, 0.5], ended: true))
        let status = player.waitUntilDone(timeout: 10)
        #expect(status.state == .failed(error!.description))
        // The player still takes commands.
        player.stop()
        #expect(player.waitUntilDone(timeout: 10).state == .idle)
    }

    @Test func conversionMatchesTheWAVWriter() {
        let values: [Float] = [0, 1, -1, 0.5, -0.5, 1e-6, -1e-6, 2, -2, .nan, 0.99999, -0.99999, 0.000_015_259, 0.000_015_26]
        #expect(values.map(PCM16.sample) == Self.exported(values))
    }
}
