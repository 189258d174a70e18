import Foundation

/// How many frames the streaming codec decodes at once while a line plays as it is generated.
///
/// Each decode reads all of the codec's weights, so small batches cost more per frame (on the
/// development machine 2.9 ms a frame in batches of 5, 2.0 in 10, 1.5 in 25: up to 7% of a frame's
/// 40 ms), but a batch's audio only comes out when the batch is full. So batches start small and grow
/// with the audio a listener has waiting: one who started, as the player does, once `listenerLead`
/// seconds had arrived and never paused (one who started later or paused has more). A batch is at
/// most four fifths of that, so each piece arrives in time while generation is up to 1.25 times
/// slower than real time.
public struct DecodePacing: Equatable, Sendable {
    public static let fewestFrames = 5
    public static let mostFrames = 25
    /// The lead the studio's player asks of a growing line before it starts (its `PlaybackLead`), in seconds.
    public static let playerLead = 0.4

    public let listenerLead: Double
    /// When the listener started (seconds on a monotonic clock), nil before.
    private var start: Double?
    /// Seconds of audio given.
    private var given: Double = 0

    public init(listenerLead: Double = DecodePacing.playerLead) {
        self.listenerLead = listenerLead
    }

    /// Notes a piece of `seconds` of audio given at `time`.
    public mutating func gave(seconds: Double, at time: Double) {
        given += max(0, seconds)
        if start == nil && given >= listenerLead { start = time }
    }

    /// Frames to decode at once from `time` on, for `frameRate` frames a second.
    public func batchFrames(at time: Double, frameRate: Int = AudioFormat.frameRate) -> Int {
        let ahead = start.map { given - (time - $0) } ?? 0
        let frames = Int((ahead * Double(frameRate) * 0.8).rounded(.down))
        return min(Self.mostFrames, max(Self.fewestFrames, frames))
    }
}
