import Playback
import Studio

/// The player reads the studio's audio streams directly, while they grow.
extension AudioStream: PlaybackSource {}
