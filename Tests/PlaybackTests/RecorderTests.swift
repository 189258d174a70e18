import Foundation
import Playback
import TestSupport
import Testing

/// The recorder on ALSA's `file` plugin reading its capture from a raw file: what it records is that
/// file's samples, in order, from the first.
@Suite(.serialized) struct RecorderTests {
    static let spoken: [Int16] = (0..<72_000).map { i in Int16(12_000 * sinf(Float(i) * 0.031) + Float(i % 97) * 20) }

    private func device(in folder: URL) throws -> URL {
        let input = folder.appendingPathComponent("mic.raw")
        try Fixtures.rawSamples(Self.spoken).write(to: input)
        let rc = folder.appendingPathComponent("asoundrc")
        try Fixtures.writeRecordingDevice("higgs_mic", readingFrom: input, in: rc)
        return rc
    }

    /// (The `null` device does not keep time when capturing, so the recorder may have read far ahead by
    /// the time `stop` is called: only the start is compared.)
    @Test func recordsWhatTheDeviceHearsUntilStopped() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let recorder = try AudioRecorder(device: "higgs_mic", configuration: try device(in: folder))
        let start = Date()
        while recorder.currentStatus.samples < 6_000 && Date().timeIntervalSince(start) < 10 { usleep(20_000) }
        let samples = recorder.stop()
        #expect(samples.count >= 6_000 && samples.count <= 60 * 24_000)
        let compared = min(samples.count, Self.spoken.count)
        let matches = samples.prefix(compared) == Self.spoken.prefix(compared).map { Float($0) / 32_768 }[...]
        #expect(matches)
        #expect(recorder.stop() == samples)   // a second stop returns the same
    }

    @Test func stopsByItselfAtTheLimit() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let recorder = try AudioRecorder(device: "higgs_mic", configuration: try device(in: folder), maximumSeconds: 2)
        let start = Date()
        while !recorder.currentStatus.ended && Date().timeIntervalSince(start) < 10 { usleep(20_000) }
        let status = recorder.currentStatus
        #expect(status.samples == 48_000 && status.ended && status.failure == nil && status.level > 0.3)
        let matches = recorder.stop() == Self.spoken.prefix(48_000).map { Float($0) / 32_768 }
        #expect(matches)
    }

    @Test func aMissingDeviceIsNamed() throws {
        #expect(throws: PlaybackError.self) { try AudioRecorder(device: "no_such_higgs_mic") }
        do {
            _ = try AudioRecorder(device: "no_such_higgs_mic")
        } catch {
            #expect("\(error)".hasPrefix("audio device 'no_such_higgs_mic': "))
        }
    }
}
