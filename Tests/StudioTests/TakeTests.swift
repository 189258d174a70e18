import Foundation
import ModelHub
import Prompt
import Generation
import Studio
import TestSupport
import Testing

@Suite struct TakeTests {
    @Test func sha256KnownVectors() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(Array(repeating: UInt8(ascii: "a"), count: 1_000_000))
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    static let request = LineRequest(
        transcript: "[SPEAKER0] Good evening.", speaker: 0,
        voices: [.profile(name: "warm_host", description: "A warm voice."),
                 .clip(name: "amy", audio: URL(fileURLWithPath: "/v/amy.wav"), transcript: "Hi there."), .automatic],
        speakerTags: ["SPEAKER0", "SPEAKER1", "SPEAKER2"], scene: "A quiet room.",
        sampling: SamplingSettings(GenerationSettings()), seed: 42)

    /// The key is a pure function of the inputs and must never change, or every saved take is lost. The
    /// expected value was computed with Python's hashlib over the text format documented in `TakeKey.make`.
    @Test func keyIsStable() {
        let key = TakeKey.make(Self.request, clipFingerprints: ["amy": "ab12"], contextKeys: ["0123456789abcdef0123"])
        #expect(key == TakeKey.make(Self.request, clipFingerprints: ["amy": "ab12"], contextKeys: ["0123456789abcdef0123"]))
        #expect(key == "eb52684507a8299a6292")
        #expect(TakeKey.isKey(key))
    }

    @Test func keyChangesWithEveryInput() {
        let base = TakeKey.make(Self.request, clipFingerprints: ["amy": "ab12"], contextKeys: [])
        var variants: [String] = []
        func with(_ change: (inout LineRequest) -> Void) {
            var r = Self.request
            change(&r)
            variants.append(TakeKey.make(r, clipFingerprints: ["amy": "ab12"], contextKeys: []))
        }
        with { $0.transcript = "[SPEAKER0] Good evening!" }
        with { $0.speaker = 1 }
        with { $0.voices[0] = .profile(name: "warm_host", description: "A warmer voice.") }
        with { $0.voices[0] = .profile(name: "other", description: "A warm voice.") }
        with { $0.voices[1] = .clip(name: "amy", audio: URL(fileURLWithPath: "/v/amy.wav"), transcript: "Hello there.") }
        with { $0.voices[2] = .profile(name: "x", description: "y") }
        with { $0.voices.removeLast() }
        with { $0.speakerTags = ["SPEAKER0", "SPEAKER1"] }
        with { $0.scene = nil }
        with { $0.scene = "" }
        with { $0.scene = "A loud room." }
        with { $0.sampling.temperature = 0.5 }
        with { $0.sampling.topK = 40 }
        with { $0.sampling.topP = 0.9 }
        with { $0.sampling.rasWindow = 0 }
        with { $0.sampling.rasRepeats = 3 }
        with { $0.sampling.maxNewTokens = 100 }
        with { $0.seed = 43 }
        variants.append(TakeKey.make(Self.request, clipFingerprints: ["amy": "ab13"], contextKeys: []))
        variants.append(TakeKey.make(Self.request, clipFingerprints: ["amy": "ab12"], contextKeys: ["00000000000000000000"]))
        variants.append(TakeKey.make(Self.request, clipFingerprints: ["amy": "ab12"],
                                     contextKeys: ["00000000000000000000", "11111111111111111111"]))
        #expect(!variants.contains(base))
        #expect(Set(variants).count == variants.count)
    }

    static func take(frames: Int, value: Float) -> GeneratedTake {
        GeneratedTake(codes: try! AudioCodes(rows: (0..<8).map { row in (0..<frames).map { (row * 100 + $0) % 1024 } }),
                      samples: (0..<(frames * 960)).map { i in value * Float(i % 100) / 100 }, promptIDs: [1, 2, 3])
    }

    @Test func storeKeepsTakesAndChoices() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder)
        let line = LineIdentity(transcript: "[SPEAKER0] Hi.", occurrence: 0)
        let first = Self.take(frames: 3, value: 0.5)
        let a = try store.add(first, key: "aaaaaaaaaaaaaaaaaaaa", seed: 42, reseeded: false, line: line,
                              transcript: "[SPEAKER0] Hi.", engine: "m bf16")
        let b = try store.add(Self.take(frames: 2, value: -0.25), key: "bbbbbbbbbbbbbbbbbbbb", seed: 7, reseeded: true,
                              line: line, transcript: "[SPEAKER0] Hi.", engine: "m bf16")
        #expect(a.frames == 3 && a.samples == 2880 && b.seconds == 0.08)
        #expect(store.takes(for: line, transcript: "").current?.key == b.key)
        try store.choose(a.key, line: line, transcript: "[SPEAKER0] Hi.")

        // A new store reads what the first wrote.
        let again = TakeStore(folder: folder)
        let takes = again.takes(for: line, transcript: "")
        #expect(takes.transcript == "[SPEAKER0] Hi.")
        #expect(takes.takes.map(\.key) == [a.key, b.key])
        #expect(takes.takes[1].reseeded && takes.takes[1].seed == 7)
        #expect(takes.current?.key == a.key)
        #expect(try again.samples(a.key) == first.samples)
        #expect(try again.codes(a.key) == first.codes)
        #expect(again.hasTake(a.key) && !again.hasTake("cccccccccccccccccccc"))
        // A take deleted by hand: hasTake asks the disk again; hadTake remembers it (what the title counts).
        try FileManager.default.removeItem(at: again.audioURL(a.key))
        #expect(!again.hasTake(a.key) && again.hadTake(a.key))
        #expect(!TakeStore(folder: folder).hadTake(a.key) && again.hadTake(b.key) && !again.hadTake("cccccccccccccccccccc"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty)
    }

    /// A take whose audio cannot be written (here a folder is in the way; a full disk in use) leaves no codes file
    /// behind: codes alone are no take, and only take more room (explore pass 6, B5).
    @Test func aTakeWhoseAudioCannotBeWrittenLeavesNothing() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder)
        let key = "dddddddddddddddddddd"
        try FileManager.default.createDirectory(at: store.audioURL(key).appendingPathComponent("in-the-way"), withIntermediateDirectories: true)
        #expect(throws: (any Error).self) {
            try store.add(Self.take(frames: 3, value: 0.5), key: key, seed: 42, reseeded: false,
                          line: LineIdentity(transcript: "[SPEAKER0] Hi.", occurrence: 0), transcript: "[SPEAKER0] Hi.", engine: "m bf16")
        }
        #expect(!FileManager.default.fileExists(atPath: store.codesURL(key).path) && !store.hasTake(key))
    }

    /// A project saved under another name has its original's takes, as links: choosing a take in the copy (a
    /// rewritten line index) leaves the original's choice as it was.
    @Test func aCopySharesItsOriginalsTakes() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let original = folder.appendingPathComponent("p.higgs"), copy = folder.appendingPathComponent("copy.higgs")
        let store = TakeStore(folder: TakeStore.folder(forProject: original))
        let line = LineIdentity(transcript: "[SPEAKER0] Hi.", occurrence: 0)
        let first = Self.take(frames: 3, value: 0.5)
        let a = try store.add(first, key: "aaaaaaaaaaaaaaaaaaaa", seed: 1, reseeded: false, line: line, transcript: "[SPEAKER0] Hi.", engine: "m")
        let b = try store.add(Self.take(frames: 2, value: 0.1), key: "bbbbbbbbbbbbbbbbbbbb", seed: 2, reseeded: false, line: line,
                              transcript: "[SPEAKER0] Hi.", engine: "m")
        TakeStore.share(fromProject: original, toProject: copy)
        let shared = TakeStore(folder: TakeStore.folder(forProject: copy))
        #expect(try shared.samples(a.key) == first.samples)
        #expect(shared.takes(for: line, transcript: "").current?.key == b.key)
        let links = try FileManager.default.attributesOfItem(atPath: shared.audioURL(a.key).path)[.referenceCount] as? Int
        #expect(links == 2)
        try shared.choose(a.key, line: line, transcript: "[SPEAKER0] Hi.")
        #expect(TakeStore(folder: TakeStore.folder(forProject: original)).takes(for: line, transcript: "").current?.key == b.key)
        #expect(TakeStore(folder: TakeStore.folder(forProject: copy)).takes(for: line, transcript: "").current?.key == a.key)
    }

    /// The studio shows when a take was made in this machine's time, as it shows other times (the index keeps UTC).
    @Test func aTakesTimeIsShownLocally() {
        let take = TakeInfo(key: "aaaaaaaaaaaaaaaaaaaa", seed: 1, reseeded: false, frames: 1, samples: 960,
                            created: "2026-12-02T02:33:13Z", engine: "m")
        let shown = take.createdLocally
        let parts = shown.split(separator: " ")
        #expect(shown.count == 19 && parts.count == 2 && parts[0].hasPrefix("2026-12-0") && shown.hasSuffix(":13"), "\(shown)")
        let utc = DateFormatter()
        utc.dateFormat = "yyyy-MM-dd HH:mm:ss"
        utc.timeZone = TimeZone(identifier: "UTC")
        let offset = TimeZone.current.secondsFromGMT(for: Date(timeIntervalSince1970: 1_796_178_793))
        #expect(utc.date(from: shown)?.addingTimeInterval(-Double(offset)) == ISO8601DateFormatter().date(from: take.created))
        var odd = take
        odd.created = "yesterday"
        #expect(odd.createdLocally == "yesterday")
    }

    @Test func planningUsesChosenTakesOfPreviousLinesAsContext() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder)
        var project = Project(cast: [CastMember(name: "A", voice: .automatic), CastMember(name: "B", voice: .automatic)],
                              script: ["[A] One.", "[B] Two.", "", "[A] Three.", "[B] Four.", "[A] One."])
        project.settings.chunkBuffer = 2
        func planner() -> DialoguePlanner {
            DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []), scenes: SceneLibrary(scenes: []),
                            takes: store, fingerprints: ClipFingerprints())
        }
        var p = planner()
        // Repeated lines are told apart.
        #expect(p.identity(line: 0) != p.identity(line: 5) && p.transcript(line: 0) == p.transcript(line: 5))
        #expect(p.plan(line: 2) == nil)
        let plan0 = try #require(p.plan(line: 0))
        #expect(plan0.context.isEmpty && plan0.take == nil && !plan0.isCurrent && plan0.wantsTake)
        #expect(plan0.request?.speakerTags == ["SPEAKER0", "SPEAKER1"])
        // Line 3 has no context while line 1 has no take (context stops at a line without one).
        #expect(p.plan(line: 3)?.context.isEmpty == true)

        for i in [0, 1] {
            let plan = try #require(p.plan(line: i))
            try store.add(Self.take(frames: 1, value: 0.1), key: plan.key!, seed: 42, reseeded: false, line: plan.identity,
                          transcript: plan.transcript, engine: "")
            p = planner()
        }
        let plan3 = try #require(p.plan(line: 3))
        #expect(plan3.context.map(\.transcript) == ["[SPEAKER0] One.", "[SPEAKER1] Two."])
        #expect(p.plan(line: 0)!.isCurrent && p.plan(line: 1)!.isCurrent && !p.plan(line: 1)!.wantsTake)
        let key3 = plan3.key

        // Choosing another take for line 1 changes line 3's key (its context changed) but not line 0's.
        let plan1 = try #require(p.plan(line: 1, seed: 99))
        try store.add(Self.take(frames: 1, value: 0.2), key: plan1.key!, seed: 99, reseeded: true, line: plan1.identity,
                      transcript: plan1.transcript, engine: "")
        p = planner()
        #expect(p.seed(line: 1) == 99 && p.seed(line: 0) == 42)
        #expect(p.plan(line: 3)?.key != key3)
        #expect(p.plan(line: 1)!.isCurrent)

        // A take cut at its limit is the line's, and still wants another.
        var cut = Self.take(frames: 2, value: 0.3)
        cut.cut = true
        let plan4 = try #require(p.plan(line: 4))
        try store.add(cut, key: plan4.key!, seed: 42, reseeded: false, line: plan4.identity, transcript: plan4.transcript, engine: "")
        p = planner()
        #expect(p.plan(line: 4)!.isCurrent && p.plan(line: 4)!.wantsTake)

        // Changing a setting makes existing takes out of date, still chosen and playable.
        project.settings.temperature = 0.3
        p = planner()
        #expect(p.plan(line: 0)!.take != nil && !p.plan(line: 0)!.isCurrent && p.plan(line: 0)!.wantsTake)
    }
}
