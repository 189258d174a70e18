import Foundation
import ModelHub

/// The name of a take: a hash of everything that produced it (the line's transcript, its speaker, every
/// voice of the prompt with the content of clip files, the speaker tags, the scene, the sampling settings,
/// the seed, and the keys of the takes given as context). Same inputs, same key, on any machine; any
/// change, a new key. The engine (model, precision, threads) is not part of it: a take stays valid when
/// the same model runs faster.
public enum TakeKey {
    /// Hex digits kept from the SHA-256 (80 bits).
    public static let length = 20

    /// - Parameter clipFingerprints: SHA-256 of each clip voice's audio file, by clip name.
    public static func make(_ request: LineRequest, clipFingerprints: [String: String], contextKeys: [String]) -> String {
        var text = "higgs-studio take 1\n"
        func field(_ name: String, _ value: String) { text += "\(name) \(value.utf8.count):\(value)\n" }
        field("transcript", request.transcript)
        field("speaker", request.speaker.map(String.init) ?? "-")
        for (i, voice) in request.voices.enumerated() {
            switch voice {
            case .automatic: field("voice \(i)", "auto")
            case .profile(let name, let description): field("voice \(i) profile \(name)", description)
            case .clip(let name, _, let transcript):
                field("voice \(i) clip \(name) \(clipFingerprints[name] ?? "?")", transcript)
            }
        }
        field("tags", request.speakerTags.joined(separator: ","))
        field("scene", request.scene.map { "1" + $0 } ?? "0")
        let s = request.sampling
        field("sampling", "temperature=\(s.temperature) top-k=\(s.topK) top-p=\(s.topP) ras-window=\(s.rasWindow) "
            + "ras-repeats=\(s.rasRepeats) max-new-tokens=\(s.maxNewTokens)")
        field("seed", "\(request.seed)")
        field("context", contextKeys.joined(separator: ","))
        return String(SHA256.hex(text).prefix(length))
    }

    /// True for text shaped like a key (used when reading take folders).
    public static func isKey(_ text: String) -> Bool {
        text.count == length && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }
}

/// The identity of a script line for its takes: its transcript (speaker names already mapped to tags, so
/// renaming a speaker keeps the takes) and, for repeated identical lines, which occurrence it is.
public struct LineIdentity: Hashable, Sendable, CustomStringConvertible {
    public let transcriptHash: String
    public let occurrence: Int

    public init(transcript: String, occurrence: Int) {
        transcriptHash = String(SHA256.hex("line 1\n" + transcript).prefix(16))
        self.occurrence = occurrence
    }

    /// Another occurrence of the transcript `same` is of (its hash taken, not worked out again).
    init(sameTranscriptAs same: LineIdentity, occurrence: Int) {
        transcriptHash = same.transcriptHash
        self.occurrence = occurrence
    }

    /// `HASH-N`: the file name of the line's take index.
    public var description: String { "\(transcriptHash)-\(occurrence)" }
}
