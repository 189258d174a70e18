import Studio
import Testing

/// The streaming codec's batches grow with the audio waiting for a listener who started with the player's lead.
struct DecodePacingTests {
    @Test func batchesFollowTheAudioAhead() {
        var pacing = DecodePacing(listenerLead: 0.4)
        // Before any audio, and before the listener has its lead: the fewest.
        #expect(pacing.batchFrames(at: 100) == 5)
        pacing.gave(seconds: 0.2, at: 100)
        #expect(pacing.batchFrames(at: 100.1) == 5)
        // 0.4 s there at 100.2: the listener starts with 0.4 s ahead, 10 frames, four fifths of it.
        pacing.gave(seconds: 0.2, at: 100.2)
        #expect(pacing.batchFrames(at: 100.2) == 8)
        // 1.4 s given by 100.5, 0.3 s heard: 1.1 s ahead.
        pacing.gave(seconds: 1.0, at: 100.5)
        #expect(pacing.batchFrames(at: 100.5) == 22)
        // Time passes without audio: the listener catches up.
        #expect(pacing.batchFrames(at: 101.04) == 11)
        #expect(pacing.batchFrames(at: 102) == 5)
        // Far ahead: at most a second's frames.
        pacing.gave(seconds: 10, at: 102)
        #expect(pacing.batchFrames(at: 102) == 25)
        #expect(pacing.batchFrames(at: 111.24, frameRate: 50) == 14)
    }

    @Test func theListenerStartsWithThePlayersLead() {
        #expect(DecodePacing().listenerLead == DecodePacing.playerLead)
        var late = DecodePacing(listenerLead: 1)
        late.gave(seconds: 0.9, at: 5)
        #expect(late.batchFrames(at: 5) == 5)
        late.gave(seconds: 0.1, at: 5.5)
        #expect(late.batchFrames(at: 5.5) == 20)
    }
}
