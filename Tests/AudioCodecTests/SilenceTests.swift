import AudioIO
import Foundation
import Testing

@Suite struct SilenceTests {
    /// A second of room noise, two of voice, a second and a half of room: the voice with 0.15 s each side.
    @Test func theRoomAroundARecordingIsLeftOut() {
        let rate = 24_000
        var noise = SystemRandomNumberGenerator()
        func room(_ seconds: Double) -> [Float] { (0..<Int(seconds * Double(rate))).map { _ in Float.random(in: -0.001...0.001, using: &noise) } }
        let voice: [Float] = (0..<(2 * rate)).map { 0.3 * sinf(Float($0) * 0.05) * (0.5 + 0.5 * sinf(Float($0) * 0.0004)) }
        let recording = room(1) + voice + room(1.5)
        let range = Silence.soundingRange(recording, sampleRate: rate)
        let frame = rate / 50
        #expect(abs(range.lowerBound - (rate - 3_600)) <= frame)
        #expect(abs(range.upperBound - (3 * rate + 3_600)) <= frame)
        // Nothing but room, or nothing at all: kept whole.
        #expect(Silence.soundingRange([Float](repeating: 0, count: rate), sampleRate: rate) == 0..<rate)
        #expect(Silence.soundingRange([], sampleRate: rate) == 0..<0)
        // Sound to the very ends: kept whole.
        #expect(Silence.soundingRange(voice, sampleRate: rate) == 0..<voice.count)
    }
}
