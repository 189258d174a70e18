import Foundation
import Generation
import Prompt
import Studio
import TestSupport
import Testing

/// Words said otherwise than written: the model is given the respelling; the script, its line identities
/// (and so its takes), the subtitles and the transcript keep the written word.
@Suite struct PronunciationTests {
    static let list = [
        Pronunciation(word: "Siobhan", sayAs: "Shiv-awn"),
        Pronunciation(word: "gif", sayAs: "jif"),
        Pronunciation(word: "New York", sayAs: "Noo Yawk"),
        Pronunciation(word: "New", sayAs: "Gnu"),
        Pronunciation(word: "Zoë", sayAs: "Zo-ee"),
        Pronunciation(word: "C++", sayAs: "see plus plus"),
    ]

    @Test(arguments: [
        ("Siobhan's here.", "Shiv-awn's here."),
        // Whole words only, in either direction.
        ("Siobhana and ASiobhan stay.", "Siobhana and ASiobhan stay."),
        // A word with a capital is found as written; one in lower case in any case, keeping a capital.
        ("siobhan, SIOBHAN", "siobhan, SIOBHAN"),
        ("A gif, a GIF, Gif files, gifs.", "A jif, a Jif, Jif files, gifs."),
        // The longest word where two start at one place; the shorter one elsewhere.
        ("New York is New.", "Noo Yawk is Gnu."),
        // Letters beyond ASCII are letters: no word ends inside them.
        ("Zoë and Zoëy, Zoe", "Zo-ee and Zoëy, Zoe"),
        // Words that end in punctuation end there.
        ("I write C++.", "I write see plus plus."),
        // Tags stay as written: speakers, sounds, and brackets the model reads.
        ("[SPEAKER0] [laugh] New gif [New] Siobhan", "[SPEAKER0] [laugh] Gnu jif [New] Shiv-awn"),
        ("Unclosed [New bracket", "Unclosed [Gnu bracket"),
        ("", ""),
    ] as [(String, String)])
    func respelling(text: String, said: String) {
        #expect(Self.list.applied(to: text) == said)
        #expect(Self.list.occur(in: text) == (said != text))
    }

    @Test func wordsAndRespellingsAreChecked() {
        #expect(Pronunciation.problem(word: "Siobhan") == nil && Pronunciation.problem(word: "New York") == nil)
        #expect(Pronunciation.problem(word: "") != nil)
        #expect(Pronunciation.problem(word: " pad") != nil)
        #expect(Pronunciation.problem(word: "#tag") != nil)
        #expect(Pronunciation.problem(word: "a:b") != nil)
        #expect(Pronunciation.problem(word: "--") != nil)
        #expect(Pronunciation.problem(word: String(repeating: "a", count: 65)) != nil)
        #expect(Pronunciation.problem(sayAs: "Shiv-awn", word: "Siobhan") == nil)
        #expect(Pronunciation.problem(sayAs: "  ", word: "x") != nil)
        #expect(Pronunciation.problem(sayAs: "[laugh]", word: "x") != nil)
        #expect(Pronunciation.problem(sayAs: "two\nlines", word: "x") != nil)
    }

    /// The request says the respelling, in the line and in the context given before it; the line keeps
    /// its identity and takes, and its key changes with the respelling (the line is out of date, not lost).
    @Test func planningGivesTheModelTheRespelling() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder)
        let cast = [CastMember(name: "Mara", voice: .automatic), CastMember(name: "Theo", voice: .automatic)]
        let script = ["[Mara] Siobhan called.", "[Theo] Siobhan? [laugh] Again?", "# Siobhan's scene"]
        func planner(_ list: [Pronunciation]) -> DialoguePlanner {
            DialoguePlanner(project: Project(cast: cast, pronunciations: list, script: script),
                            voices: VoiceLibrary(clips: [], profiles: []), scenes: SceneLibrary(scenes: []), takes: store,
                            fingerprints: ClipFingerprints())
        }
        let written = planner([]), respelled = planner([Pronunciation(word: "Siobhan", sayAs: "Shiv-awn")])
        let first = try #require(written.plan(line: 0)), firstSaid = try #require(respelled.plan(line: 0))
        #expect(first.request?.transcript == "[SPEAKER0] Siobhan called.")
        #expect(firstSaid.request?.transcript == "[SPEAKER0] Shiv-awn called.")
        #expect(firstSaid.identity == first.identity && firstSaid.transcript == first.transcript)
        #expect(firstSaid.key != nil && firstSaid.key != first.key)

        try store.add(GeneratedTake(codes: try AudioCodes(rows: Array(repeating: [1], count: 8)), samples: [0.5]),
                      key: firstSaid.key!, seed: 42, reseeded: false, line: firstSaid.identity, transcript: firstSaid.transcript,
                      engine: "")
        let second = try #require(planner([Pronunciation(word: "Siobhan", sayAs: "Shiv-awn")]).plan(line: 1))
        #expect(second.context.map(\.transcript) == ["[SPEAKER0] Shiv-awn called."])
        #expect(second.request?.transcript == "[SPEAKER1] Shiv-awn? [laugh] Again?")
        // The take made with the respelling is the line's take, out of date once the respelling is gone.
        #expect(planner([Pronunciation(word: "Siobhan", sayAs: "Shiv-awn")]).plan(line: 0)?.isCurrent == true)
        #expect(planner([]).plan(line: 0)?.take?.key == firstSaid.key)
        #expect(planner([]).plan(line: 0)?.isCurrent == false)
    }
}
