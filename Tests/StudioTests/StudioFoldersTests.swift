import Foundation
import Studio
import TestSupport
import Testing

/// Where `Voices/` and `Scenes/` are found, in order (flag, here, config file, the source tree the binary was
/// built in), and the one line said when a folder named is not there or none is found.
@Suite struct StudioFoldersTests {
    @Test func theFlagThenHereThenTheConfigFileThenTheBuiltTree() throws {
        let folder = try Fixtures.temporaryFolder("higgs-folders")
        defer { try? FileManager.default.removeItem(at: folder) }
        let project = folder.appendingPathComponent("project"), tree = folder.appendingPathComponent("tree")
        try FileManager.default.createDirectory(at: project, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: tree.appendingPathComponent("Voices"), withIntermediateDirectories: true)
        func find(flag: String? = nil, configured: String? = nil) -> StudioFolder {
            StudioFolders.find("Voices", flag: flag, configured: configured, builtTree: tree, currentFolder: project)
        }

        var found = find()
        #expect(found.url.path == tree.path + "/Voices" && found.source == .builtTree && found.problem == nil)
        #expect(found.reason == "the source tree higgs was built in; there is no Voices/ here and the config file names none")
        found = find(configured: "/library/Voices")
        #expect(found.url.path == "/library/Voices" && found.source == .configFile)
        #expect(found.problem == "/library/Voices: no such voices folder (`voices:` in the config file)")
        try FileManager.default.createDirectory(at: project.appendingPathComponent("Voices"), withIntermediateDirectories: true)
        found = find(configured: "/library/Voices")
        #expect(found.url.path == project.path + "/Voices" && found.source == .currentFolder && found.problem == nil)
        found = find(flag: "/elsewhere/Voices", configured: "/library/Voices")
        #expect(found.url.path == "/elsewhere/Voices" && found.source == .flag && found.reason == "--voices")
        #expect(found.problem == "/elsewhere/Voices: no such voices folder")
    }

    /// No folder anywhere: one line naming each place looked at, the built tree's path among them, whether
    /// that tree is gone (a binary on another machine) or has no such folder.
    @Test func noFolderFoundIsSaidInOneLine() throws {
        let folder = try Fixtures.temporaryFolder("higgs-folders")
        defer { try? FileManager.default.removeItem(at: folder) }
        let gone = folder.appendingPathComponent("gone")
        var found = StudioFolders.find("Scenes", flag: nil, configured: nil, builtTree: gone, currentFolder: folder)
        #expect(found.source == .notFound && found.url.path == folder.path + "/Scenes")
        #expect(found.problem == "no scenes folder: no Scenes/ here (\(folder.path)), no `scenes:` in the config file, "
                + "and the source tree higgs was built in (\(gone.path)) is not on this machine")
        found = StudioFolders.find("Scenes", flag: nil, configured: nil, builtTree: folder, currentFolder: folder)
        #expect(found.problem?.hasSuffix("and the source tree higgs was built in (\(folder.path)) has no Scenes/") == true, "\(found.problem ?? "")")
    }

    /// The tree is the one this build was compiled from (a path fixed at build time, not looked for near the binary).
    @Test func theBuiltTreeIsThisSourceTree() {
        #expect(StudioFolders.builtTree.path == Fixtures.testsFolder.deletingLastPathComponent().path)
        #expect(StudioFolders.find("Voices", flag: nil, configured: nil, builtTree: StudioFolders.builtTree,
                                   currentFolder: URL(fileURLWithPath: "/nonexistent")).source == .builtTree)
    }
}
