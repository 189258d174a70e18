import Foundation
import Playback
import Studio

/// How the studio was started (from `higgs studio`'s flags).
public struct StudioOptions {
    /// The project file; nil opens `untitled.higgs` in the current folder (the sample project when it
    /// does not exist yet).
    public var projectPath: String?
    public var voicesFolder: URL
    public var scenesFolder: URL
    /// ALSA device name.
    public var audioDevice: String
    /// An ALSA configuration file read over the system's (asoundrc syntax), e.g. defining `audioDevice`.
    public var audioConfiguration: URL?
    /// ALSA device a voice is recorded from (nil: `audioDevice`).
    public var recordDevice: String?
    public var engine: EngineLocation
    /// Whether the prompts of the line under the cursor and the next are computed while the engine is idle
    /// (the config file's `prefill_ahead`; off spares the cores, on a laptop on battery, say).
    public var prefillAhead: Bool
    /// Loads the generation engine from the checkpoints (nil in a build without the engine), saying
    /// what it is doing meanwhile to its second argument (the engine line's text).
    public var makeSynthesizer: (@Sendable (EngineLocation, @escaping @Sendable (String) -> Void) throws -> LineSynthesizer)?

    public init(projectPath: String?, voicesFolder: URL, scenesFolder: URL, audioDevice: String,
                audioConfiguration: URL? = nil, recordDevice: String? = nil, engine: EngineLocation,
                prefillAhead: Bool = true, makeSynthesizer: (@Sendable (EngineLocation, @escaping @Sendable (String) -> Void) throws -> LineSynthesizer)?) {
        self.projectPath = projectPath
        self.voicesFolder = voicesFolder
        self.scenesFolder = scenesFolder
        self.audioDevice = audioDevice
        self.audioConfiguration = audioConfiguration
        self.recordDevice = recordDevice
        self.engine = engine
        self.prefillAhead = prefillAhead
        self.makeSynthesizer = makeSynthesizer
    }
}

/// The studio's terminal screen.
public enum StudioScreen {
    /// Runs the studio until the user quits or a signal ends it; returns the process exit status.
    /// Errors before the screen opens (an unreadable project) are thrown as one-line messages.
    public static func run(_ options: StudioOptions) throws -> Int32 {
        let app = try StudioApp(options: options)
        return try app.run()
    }
}
