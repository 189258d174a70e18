import Foundation
import TestSupport
import Testing

/// `higgs NAME` opens the studio on NAME: a word that is no file and no project's name is a command mistyped or
/// one that is not there (`higgs export`), said in one line before the screen opens.
@Suite struct StudioCommandTests {
    @Test func aWordThatIsNoCommandAndNoFileIsSaid() throws {
        let folder = try Fixtures.temporaryFolder("higgs-cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        for word in ["export", "fit-cues"] {
            let result = try CLI.run([word], in: folder)
            #expect(result.status == 1)
            #expect(result.stderr == "higgs: '\(word)' is not a command (`higgs --help` lists them) nor a file here; "
                    + "a new project's name ends in .higgs\n", "\(result.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }
}
