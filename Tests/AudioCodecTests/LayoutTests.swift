import AudioCodec
import Foundation
import TestSupport
import Testing

@Suite struct LayoutTests {
    /// The layout benchmarks build full-size checkpoints from is the reference's state dict for
    /// the published config.json, name for name and shape for shape.
    @Test func publishedLayoutMatchesTheReference() throws {
        let expected = try #require(try Fixtures.json(TokenizerFixture.target, "published_tensors.json") as? [String: [Int]])
        let config = try TokenizerConfiguration.read(Fixtures.url(TokenizerFixture.target, "published_config.json"))
        #expect(config.samplesPerFrame == 960 && config.frameRate == 25 && config.semanticDownsampleFactor == 2)
        let layout = TokenizerLayout.tensors(config)
        #expect(layout.count == expected.count)
        var ours: [String: [Int]] = [:]
        for t in layout { ours[t.name] = t.shape }
        let missing = expected.keys.filter { ours[$0] == nil }.sorted()
        let extra = ours.keys.filter { expected[$0] == nil }.sorted()
        let misshaped = expected.keys.filter { ours[$0] != nil && ours[$0] != expected[$0] }.sorted()
        #expect(missing.isEmpty, "missing \(missing.prefix(5))")
        #expect(extra.isEmpty, "extra \(extra.prefix(5))")
        #expect(misshaped.isEmpty, "misshaped \(misshaped.prefix(5))")
        #expect(layout.reduce(0) { $0 + $1.shape.reduce(1, *) } == 201_426_474)
    }

    @Test func configErrorsNameTheFile() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("config.json")
        try Data("{\"ratios\": [8, 5], \"semantic_techer\": \"wavlm_base_plus\"}".utf8).write(to: url)
        #expect(throws: (any Error).self) { try TokenizerConfiguration.read(url) }
        do { _ = try TokenizerConfiguration.read(url) } catch {
            #expect("\(error)" == "\(url.path): semantic_techer 'wavlm_base_plus' is not supported (hubert_base_general or hubert_base expected)")
        }
        try Data("{\"D\": \"wide\"}".utf8).write(to: url)
        do { _ = try TokenizerConfiguration.read(url) } catch { #expect("\(error)" == "\(url.path): 'D' has the wrong type") }
        try Data("[]".utf8).write(to: url)
        #expect(throws: (any Error).self) { try TokenizerConfiguration.read(url) }
        // A tokenizer folder without weights says what it needs.
        try FileManager.default.copyItem(at: Fixtures.url(TokenizerFixture.target, "published_config.json"), to: folder.appendingPathComponent("c2.json"))
        try FileManager.default.removeItem(at: url)
        try FileManager.default.moveItem(at: folder.appendingPathComponent("c2.json"), to: url)
        do { _ = try AudioTokenizer(folder: folder) } catch {
            #expect("\(error)".hasSuffix("model.pth: file not found (the tokenizer folder needs config.json and model.pth)"))
        }
    }
}
