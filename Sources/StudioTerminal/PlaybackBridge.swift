import Playback
import Studio

/// The player reads the studio's audio streams directly, while they grow.
extension AudioStream: PlaybackSource {
    public func playsThrough(from offset: Int) -> Bool? { secondsUntilPlaysThrough(from: offset).map { $0 <= 0 } }
}
