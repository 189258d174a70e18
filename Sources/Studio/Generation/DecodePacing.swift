/// How many frames the streaming codec decodes at once while a line is generated.
///
/// Each decode reads all of the codec's weights, so small batches cost more per frame (on the
/// development machine 2.9 ms a frame in batches of 5, 2.0 in 10, 1.5 in 25: up to 7% of a frame's
/// 40 ms), but a batch's audio only comes out when the batch is full. So a line's first pieces come
/// from batches of 5, and after each piece the batch follows the audio waiting for the listener: at
/// most four fifths of it, so the next piece comes in time while generation is up to 1.25 times slower
/// than real time, and the largest batches when nobody listens.
public enum DecodePacing {
    public static let fewestFrames = 5
    public static let mostFrames = 25

    /// Frames to decode at once with `ahead` seconds of audio waiting for the listener (nil: nobody listens).
    public static func batchFrames(ahead: Double?, frameRate: Int = AudioFormat.frameRate) -> Int {
        guard let ahead else { return mostFrames }
        let frames = Int((ahead * Double(frameRate) * 0.8).rounded(.down))
        return min(mostFrames, max(fewestFrames, frames))
    }
}
