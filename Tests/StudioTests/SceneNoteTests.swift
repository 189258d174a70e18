import Foundation
import Prompt
import Studio
import TestSupport
import Testing

/// A `# scene:` note's value that is no scene's name is the scene's description, as written; one that reads as a
/// file's path or name, or as a scene's name written otherwise, is more likely a slip: the lines after it are not
/// made, and their problem says what to write.
@Suite struct SceneNoteTests {
    @Test func aNoteThatReadsAsAPathOrAScenesNameIsNotADescription() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let scenesFolder = URL(fileURLWithPath: "/k/Scenes")
        let scenes = SceneLibrary(scenes: [.init(name: "busy_cafe", text: "A busy cafe."), .init(name: "quiet_studio", text: "A quiet studio.")],
                                  folder: scenesFolder)
        let notes = ["# scene: ../k/Scenes/quiet_studio", "# scene: quiet studio", "# scene: Busy Café", "# scene: busy_cafe.txt",
                     "# scene: ../elsewhere/attic", "# scene: A quiet studio, late at night.", "# scene: a 24/7 diner",
                     "# scene: quiet_studio"]
        let project = Project(scene: .inline("quiet studio"), cast: [CastMember(name: "Ann", voice: .automatic)],
                              script: ["[Ann] Zero."] + notes.flatMap { [$0, "[Ann] Words."] })
        let planner = DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []), scenes: scenes,
                                      takes: TakeStore(folder: folder), fingerprints: ClipFingerprints())
        let plans = try (0...notes.count).map { try #require(planner.plan(line: $0 * 2)) }
        #expect(plans.map(\.problem) == [
            nil,
            "# scene: ../k/Scenes/quiet_studio is a path: a note names a scene of /k/Scenes (# scene: quiet_studio) or describes one in words",
            "# scene: quiet studio names no scene but nearly quiet_studio: write # scene: quiet_studio, or describe the scene in a sentence",
            "# scene: Busy Café names no scene but nearly busy_cafe: write # scene: busy_cafe, or describe the scene in a sentence",
            "# scene: busy_cafe.txt is a file's name: a note names a scene of /k/Scenes (# scene: busy_cafe) or describes one in words",
            "# scene: ../elsewhere/attic is a path: a note names a scene of /k/Scenes (scenes: busy_cafe, quiet_studio) or describes one in words",
            nil, nil, nil,
        ])
        #expect(plans.map { $0.request?.scene } == [
            // The project's own text is written as such (`scene: |`, the panel's "your own text"): it is taken as it is.
            "quiet studio", nil, nil, nil, nil, nil, "A quiet studio, late at night.", "a 24/7 diner", "A quiet studio.",
        ])
        // A name that is a scene's name written otherwise is still a name: no such scene, and the scenes there are listed.
        let named = Project(cast: project.cast, script: ["# scene: Quiet_Studio", "[Ann] Words."])
        let namedPlanner = DialoguePlanner(project: named, voices: VoiceLibrary(clips: [], profiles: []), scenes: scenes,
                                           takes: TakeStore(folder: folder), fingerprints: ClipFingerprints())
        #expect(namedPlanner.plan(line: 1)?.problem == "no scene 'Quiet_Studio' in /k/Scenes (scenes: busy_cafe, quiet_studio)")
    }
}
