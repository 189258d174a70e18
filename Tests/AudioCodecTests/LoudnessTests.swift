import Foundation
import AudioIO
import Testing

/// BS.1770 loudness against the standard's own numbers.
@Suite struct LoudnessTests {
    static func tone(_ hz: Double, amplitude: Double, seconds: Double, rate: Int) -> [Float] {
        (0..<Int(seconds * Double(rate))).map { Float(amplitude * sin(2 * .pi * hz * Double($0) / Double(rate))) }
    }

    /// At 48 kHz the K-weighting is the standard's tabulated filters.
    @Test func kWeightingAt48kHzIsTheStandardsTable() {
        let stages = Loudness.kWeighting(sampleRate: 48_000)
        let expected: [[Double]] = [
            [1.53512485958697, -2.69169618940638, 1.19839281085285, -1.69065929318241, 0.73248077421585],
            [1.0, -2.0, 1.0, -1.99004745483398, 0.99007225036621],
        ]
        for (stage, want) in zip(stages, expected) {
            let got = [stage.b0, stage.b1, stage.b2, stage.a1, stage.a2]
            #expect(zip(got, want).allSatisfy { abs($0 - $1) < 1e-8 }, "\(got)")
        }
    }

    /// A full-scale 997 Hz sine reads -3.01 LUFS (the standard's calibration), at 48 kHz and at our 24 kHz;
    /// 20 dB quieter reads 20 LU lower.
    @Test func aFullScaleSineReadsMinus3() throws {
        for rate in [48_000, 24_000] {
            let loud = try #require(Loudness.integrated(Self.tone(997, amplitude: 1, seconds: 5, rate: rate), sampleRate: rate))
            #expect(abs(loud - -3.01) < 0.05, "\(rate) Hz: \(loud)")
            let quiet = try #require(Loudness.integrated(Self.tone(997, amplitude: 0.1, seconds: 5, rate: rate), sampleRate: rate))
            #expect(abs(quiet - (loud - 20)) < 0.01)
        }
        // The shelf counts high frequencies more, the high pass low ones less.
        let high = try #require(Loudness.integrated(Self.tone(8_000, amplitude: 1, seconds: 2, rate: 24_000), sampleRate: 24_000))
        let low = try #require(Loudness.integrated(Self.tone(30, amplitude: 1, seconds: 2, rate: 24_000), sampleRate: 24_000))
        #expect(high > -3.01 + 3 && low < -3.01 - 1)
    }

    /// Silence and near-silence are gated out: pauses do not lower a line's loudness (but for the few
    /// blocks that straddle a pause's edges, as the standard has it).
    @Test func pausesAreGatedOut() throws {
        let rate = 24_000
        let speech = Self.tone(500, amplitude: 0.3, seconds: 10, rate: rate)
        let alone = try #require(Loudness.integrated(speech, sampleRate: rate))
        let withPauses = [Float](repeating: 0, count: 2 * rate) + speech + Self.tone(500, amplitude: 0.0001, seconds: 3, rate: rate)
        let measured = try #require(Loudness.integrated(withPauses, sampleRate: rate))
        #expect(abs(measured - alone) < 0.2)   // ungated, 5 s of pause in 15 s would read 1.8 LU lower
        #expect(Loudness.integrated([Float](repeating: 0, count: rate), sampleRate: rate) == nil)
        #expect(Loudness.integrated([], sampleRate: rate) == nil)
        // Shorter than a block: one block.
        #expect(Loudness.integrated(Self.tone(997, amplitude: 1, seconds: 0.2, rate: rate), sampleRate: rate).map { abs($0 - -3.01) < 0.1 } == true)
    }

    @Test func theGainReachesTheTargetUnderTheCeiling() throws {
        let rate = 24_000
        let quiet = Self.tone(997, amplitude: 0.05, seconds: 2, rate: rate)
        let gain = Loudness.gain(bringing: quiet, sampleRate: rate, to: -16)
        let after = try #require(Loudness.integrated(quiet.map { $0 * gain }, sampleRate: rate))
        #expect(abs(after - -16) < 0.01)
        // A target the peaks cannot reach: the peak stops at the ceiling.
        let capped = Loudness.gain(bringing: quiet, sampleRate: rate, to: -1)
        #expect(abs(quiet.map { abs($0 * capped) }.max()! - 0.891) < 1e-4)
        #expect(Loudness.gain(bringing: [Float](repeating: 0, count: 100), sampleRate: rate, to: -16) == 1)
    }
}
