import Foundation
import Prompt
import Studio
import TestSupport
import Testing

/// The studio plans the script again after every key, each plan after the one before the edit
/// (`DialoguePlanner(…, after:)`), which lends what it read of the lines the edit left. Every plan so made equals
/// the plan made from nothing, through edits of every kind.
@Suite struct PlanAfterEditTests {
    static let library = VoiceLibrary(clips: ["en_man"], profiles: [.init(name: "warm_host", description: "A warm voice.")])
    static let scenes = SceneLibrary(scenes: [.init(name: "studio", text: "A quiet studio."), .init(name: "market", text: "A busy market.")])

    /// Everything a plan says of every line, as text.
    static func everything(_ planner: DialoguePlanner) -> [String] {
        planner.project.script.indices.map { i in
            let plan = planner.plan(line: i)
            return [
                "\(planner.identity(line: i))", planner.transcript(line: i), "\(planner.casting.lineSpeakers[i] as Any)",
                "\(planner.casting.problem(line: i) as Any)", "\(planner.saysNothing(line: i))", "\(planner.changesScene(line: i))",
                "\(planner.sceneNoteProblem(line: i) as Any)", plan?.request?.transcript ?? "-", plan?.request?.scene ?? "-",
                plan?.key ?? "-", plan?.problem ?? "-", plan.map { "\($0.context.map(\.transcript))" } ?? "-",
            ].joined(separator: " | ")
        } + ["\(planner.casting.speakerTags)", "\(planner.exportLength)"]
    }

    @Test func aPlanAfterAnEditIsThePlanFromNothing() throws {
        let folder = try Fixtures.temporaryFolder("higgs-plan-after-edit")
        defer { try? FileManager.default.removeItem(at: folder) }
        let takes = TakeStore(folder: folder)
        func plan(_ project: Project, after previous: DialoguePlanner? = nil) -> DialoguePlanner {
            DialoguePlanner(project: project, voices: Self.library, scenes: Self.scenes, takes: takes, fingerprints: ClipFingerprints(),
                            after: previous)
        }
        var project = Project(cast: [CastMember(name: "Mara", voice: .automatic), CastMember(name: "Theo", voice: .clip("en_man"))],
                              script: ["# scene: studio", "[Mara] Hello there.", "and again", "", "[Theo] Hello there.",
                                       "# a note", "[Mara] Hello there.", "# scene: market", "[SPEAKER1] Tea?", "[Theo] [laugh] Yes.",
                                       "[Mara] Hello there.", "still Mara"])
        var planner = plan(project)
        // Takes for some lines, so that plans have context and the dialogue a length.
        for line in [1, 2, 4] { try planner.keepTake([Float](repeating: 0.25, count: 2_400), line: line) }
        planner = plan(project)

        let edits: [(String, (inout Project) -> Void)] = [
            ("a letter typed", { $0.script[2] += "s" }),
            ("a line inserted", { $0.script.insert("[Theo] New here.", at: 3) }),
            ("a continuation's speaker changed above it", { $0.script[1] = "[Theo] Hello there." }),
            ("a line that repeats another removed", { $0.script.remove(at: 4) }),
            ("the same line twice in a row", { $0.script.insert("[Mara] Hello there.", at: 0) }),
            ("a scene note changed", { $0.script[1] = "# scene: market" }),
            ("a scene note to a slip", { $0.script[1] = "# scene: Market.txt" }),
            ("a pronunciation added", { $0.pronunciations = [Pronunciation(word: "Tea", sayAs: "Tee")] }),
            ("a speaker not in the cast", { $0.script[3] = "[Zed] Who?" }),
            ("the cast renamed", { $0.cast[1].name = "Theodore" }),
            ("the voice changed", { $0.cast[0].voice = .profile("warm_host") }),
            ("lines removed at the end", { $0.script.removeLast(3) }),
            ("lines removed at the start", { $0.script.removeFirst(2) }),
            ("everything replaced", { $0.script = ["[Mara] Hello there.", "[Mara] Hello there."] }),
            ("the script emptied", { $0.script = [] }),
            ("lines back", { $0.script = ["[Theo] Back.", "", "and more"] }),
        ]
        for (name, edit) in edits {
            edit(&project)
            let after = plan(project, after: planner)
            let got = Self.everything(after), fresh = Self.everything(plan(project))
            let differences = zip(got, fresh).filter { $0 != $1 }.map { "\($0) instead of \($1)" } + (got.count == fresh.count ? [] : ["lines"])
            #expect(differences.isEmpty, "\(name): \(differences)")
            planner = after
        }
    }
}
