import AudioIO
import Foundation

/// The silence a generated take starts and ends with, cut down to a breath so that the project's `gap` is
/// the silence between one line's last word and the next line's first, whatever the model added around
/// them (the `trim` setting).
public enum TakeTrim {
    /// What is kept before the first sounding frame and after the last, in seconds: the attack of a soft
    /// consonant before, and the decay of the last word (and the scene's room) after.
    public static let before = 0.05
    public static let after = 0.15
    /// A frame sounds when it is within this many dB of the take's loudest.
    static let floor = -45.0
    /// The cut edges fade in and out over this long, so that a cut through room noise does not click.
    static let fade = 0.005

    /// The span of a take's samples from its first sounding frame to its last; nil when nothing sounds.
    public static func sound(_ samples: [Float]) -> Range<Int>? {
        Silence.soundingSpan(samples, sampleRate: AudioFormat.sampleRate, floor: floor, quietest: -70)
    }

    /// The samples kept of a take of `count` samples whose sound is `sound`: all of them when nothing sounds
    /// (or when a record's span does not fit the audio).
    public static func kept(_ sound: Range<Int>?, of count: Int) -> Range<Int> {
        guard let sound, sound.upperBound <= count else { return 0..<count }
        let rate = Double(AudioFormat.sampleRate)
        return max(0, sound.lowerBound - Int(before * rate))..<min(count, sound.upperBound + Int(after * rate))
    }

    /// The take's kept samples, faded in where silence was cut before them and out where it was cut after.
    public static func apply(_ samples: [Float], sound: Range<Int>?) -> [Float] {
        let range = kept(sound, of: samples.count)
        var out = Array(samples[range])
        let ramp = min(out.count / 2, Int(fade * Double(AudioFormat.sampleRate)))
        guard ramp > 0 else { return out }
        for k in 0..<ramp {
            let gain = Float(0.5 - 0.5 * cos(Double.pi * Double(k) / Double(ramp)))
            if range.lowerBound > 0 { out[k] *= gain }
            if range.upperBound < samples.count { out[out.count - 1 - k] *= gain }
        }
        return out
    }
}
