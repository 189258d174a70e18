import Studio
import Testing

/// The streaming codec's batches follow the audio waiting for the listener.
struct DecodePacingTests {
    @Test func batchesFollowTheAudioAhead() {
        #expect(DecodePacing.batchFrames(ahead: 0) == 5)
        #expect(DecodePacing.batchFrames(ahead: -0.3) == 5)
        #expect(DecodePacing.batchFrames(ahead: 0.2) == 5)
        // 0.4 s is 10 frames: four fifths of it.
        #expect(DecodePacing.batchFrames(ahead: 0.4) == 8)
        #expect(DecodePacing.batchFrames(ahead: 1.1) == 22)
        #expect(DecodePacing.batchFrames(ahead: 0.36, frameRate: 50) == 14)
        // At most a second's frames, and those when nobody listens.
        #expect(DecodePacing.batchFrames(ahead: 9) == 25)
        #expect(DecodePacing.batchFrames(ahead: nil) == 25)
    }
}
