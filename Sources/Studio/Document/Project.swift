import Foundation
import Prompt

/// A studio project: what a `*.higgs` file holds. The takes live beside it (`NAME.takes/`), not in it,
/// so the file stays small, readable and diff-friendly.
public struct Project: Equatable, Sendable {
    public var scene: SceneChoice
    /// Speaker `i` of the cast is `[SPEAKERi]` in the prompt.
    public var cast: [CastMember]
    public var settings: GenerationSettings
    /// The `settings:` entries this version does not read, in the file's order: kept as written so that a
    /// project saved here loses nothing a newer version (or a writer) put there.
    public var unknownSettings: [UnknownSetting]
    /// Words the voices are to say otherwise than they are written, in the order the writer gave them.
    public var pronunciations: [Pronunciation]
    /// One turn per line, as written (named speakers, `[SPEAKERn]` tags, event tags).
    public var script: [String]

    public init(scene: SceneChoice = .none, cast: [CastMember] = [], settings: GenerationSettings = .init(),
                unknownSettings: [UnknownSetting] = [], pronunciations: [Pronunciation] = [], script: [String] = []) {
        self.scene = scene
        self.cast = cast
        self.settings = settings
        self.unknownSettings = unknownSettings
        self.pronunciations = pronunciations
        self.script = script
    }

    /// The index of a cast member by name (names compare exactly).
    public func castIndex(named name: String) -> Int? {
        cast.firstIndex { $0.name == name }
    }
}

/// The scene description given to the model (between `<|scene_desc_start|>` and `<|scene_desc_end|>`).
public enum SceneChoice: Equatable, Sendable {
    case none
    /// A file `Scenes/NAME.txt`.
    case named(String)
    /// Text written in the project itself.
    case inline(String)
}

/// One speaker of the cast and the voice that speaks their lines.
public struct CastMember: Equatable, Sendable {
    public var name: String
    public var voice: VoiceSlot

    public init(name: String, voice: VoiceSlot) {
        self.name = name
        self.voice = voice
    }
}

/// A `settings:` entry whose key this version does not read (a newer version's setting, or a misspelt one),
/// kept as written.
public struct UnknownSetting: Equatable, Sendable {
    public var key: String
    /// The text after the colon, as written (without the spaces around it).
    public var value: String
    /// The known setting it followed in the file (nil: it came first): it is written back there, so that
    /// a save here moves nothing a newer version wrote in its own order.
    public var after: String?

    public init(key: String, value: String, after: String? = nil) {
        self.key = key
        self.value = value
        self.after = after
    }
}

/// The sampling and chunking settings of the reference CLI (its defaults, with our seed and buffer), plus the
/// export gap.
public struct GenerationSettings: Equatable, Hashable, Sendable {
    /// 0 means greedy.
    public var temperature: Double = 1.0
    public var topK: Int = 50
    public var topP: Double = 0.95
    /// Repetition-aware sampling window; 0 disables it.
    public var rasWindow: Int = 7
    public var rasRepeats: Int = 2
    public var seed: UInt64 = 42
    /// How many previous lines' audio are given as context (`generation_chunk_buffer_size`).
    public var chunkBuffer: Int = 2
    public var maxNewTokens: Int = 2048
    /// Silence between lines in exports and "play from here", in seconds.
    public var gap: Double = 0.4
    /// Exports and "play from here" cut the silence each take starts and ends with (`TakeTrim`).
    public var trim = true
    /// The loudness (LUFS) each line is brought to in exports and "play from here"; nil leaves the takes
    /// as generated.
    public var loudness: Double?
    /// Exports also write MP3s of the dialogue and of each chapter at this bitrate (kbit/s); nil for none.
    public var mp3: Int?
    /// Exports are an audiobook's: each chapter framed with room tone, peaks levelled under -3 dB, and every
    /// chapter file checked against ACX's requirements (`AudiobookCheck`).
    public var audiobook = false
    /// Stop a take that runs far longer than its words need (`SpeakingTime`), and mark it cut. Not part of a
    /// take's key: a take that ends by itself is the same with it or without it.
    public var runawayStop = true
    /// A line whose take runs past its `# at:` cue's end is sped up to fit (`TimeStretch`), when at most
    /// this many percent faster does it; nil leaves every take at its pace.
    public var fitCues: Int?

    public init() {}
}
