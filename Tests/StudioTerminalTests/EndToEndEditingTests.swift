import Foundation
import Studio
import TestSupport
import Testing

extension EndToEndTests {
    /// `o` on a line without a tag (it goes on with the speaker before it) opens the next speaker's line, as on
    /// the tagged line it continues.
    @Test func aNewLineAfterAContinuationHasTheNextSpeakersTag() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (file, tmux) = try Self.studio(on: Project(cast: [CastMember(name: "Ann", voice: .automatic), CastMember(name: "Bo", voice: .automatic)],
                                                       script: ["[Ann] One.", "[Bo] Two.", "And more from Bo."]),
                                           named: "turns.higgs", in: folder, showing: "And more from Bo.", width: 120, height: 24)
        try tmux.keys(">", "o")
        try tmux.type("Three.")
        try tmux.keys("Escape", "C-s")
        try tmux.waitFor("the save") { $0.contains("Saved ") }
        #expect(try ProjectFile.load(file).script
            == ["[Ann] One.", "[Bo] Two.", "And more from Bo.", "[Ann] Three."])
        try tmux.keys("C-q")
        try tmux.waitForShell()
    }
}
