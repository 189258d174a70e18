import ArgumentParser
import Foundation
import Prompt
import Studio

/// `higgs voices`: the voice folder's voices, and adding one to it (what the studio's voice list does,
/// for a machine without a screen: a server that renders, a script that sets up a project).
struct VoicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voices",
        abstract: "List the voices a cast can use, or add one (a clip with its transcript, or a description).",
        subcommands: [List.self, Add.self],
        defaultSubcommand: List.self
    )

    struct Folder: ParsableArguments {
        @Option(help: FolderHelp.voices)
        var voices: String?

        var found: StudioFolder { StudioFolders.find("Voices", flag: voices) }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the folder's profiles and clips, and what is wrong in it.")

        @OptionGroup var folder: Folder

        func run() throws {
            let found = folder.found
            // An empty list would hide that the folder meant is not there (a mistyped --voices, a binary built elsewhere).
            if let problem = found.problem { throw CommandFailure(problem) }
            let library = VoiceLibrary(folder: found.url)
            var out = library.folder.path + (found.source == .flag ? "" : " (\(found.reason))") + "\n"
            if library.profiles.isEmpty && library.clips.isEmpty {
                out += "  no voices (add one: higgs voices add NAME --clip FILE --transcript TEXT, or --description TEXT)\n"
            }
            // Columns on screen: a name in CJK letters takes two each (counted in a UTF-8 locale, as the terminal's).
            TerminalLocale.ensureUTF8()
            let width = (library.profiles.map { DisplayWidth.of($0.name) + 8 } + library.clips.map { DisplayWidth.of($0) }).max() ?? 0
            func row(_ name: String, _ text: String) { out += "  " + DisplayWidth.pad(name, to: width + 2) + text + "\n" }
            var problems = library.problems
            for profile in library.profiles {
                row("profile:\(profile.name)", profile.description.split(whereSeparator: \.isNewline).joined(separator: " "))
                if let problem = library.controlTokenProblem(of: .profile(name: profile.name, description: profile.description)) {
                    problems.append(problem)
                }
            }
            for clip in library.clips {
                let check = library.check(clip: clip)
                let length = check.seconds.map { String(format: "%.1f s", $0) } ?? "unreadable WAV"
                row(clip, "clip, \(length): “\(check.transcript)”")
                problems += check.problems
            }
            for problem in problems { out += "  ! \(problem)\n" }
            print(out, terminator: "")
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a voice: a clip (--clip FILE --transcript TEXT) or a profile (--description TEXT).",
            discussion: "Nothing in the folder is replaced: a name already there is refused."
        )

        @Argument(help: "The voice's name: letters, digits, _, - and . (a profile is cast as profile:NAME).")
        var name: String

        @Option(help: "A WAV or MP3 file of one person speaking, 5 to 20 seconds, kept as NAME.wav.")
        var clip: String?

        @Option(help: "Exactly what is said in the clip.")
        var transcript: String?

        @Option(help: "How the voice sounds (gender, age, accent, pitch, pace, tone), for a profile.")
        var description: String?

        @OptionGroup var folder: Folder

        func validate() throws {
            guard (clip == nil) != (description == nil) else {
                throw ValidationError("give either --clip FILE --transcript TEXT (a clip) or --description TEXT (a profile)")
            }
            if clip != nil && transcript == nil { throw ValidationError("a clip needs --transcript, what is said in it") }
            if clip == nil && transcript != nil { throw ValidationError("--transcript goes with --clip") }
        }

        func run() throws {
            let found = folder.found
            let library = VoiceLibrary(folder: found.url)
            // Adding makes the folder, as the studio does; said, so that a mistyped --voices is seen.
            let made = found.exists ? "" : " (a new voices folder)"
            do {
                if let clip, let transcript {
                    let added = try library.addClip(named: name, audio: URL(fileURLWithPath: clip), transcript: transcript)
                    let advice = added.advice.map { " (\($0))" } ?? ""
                    Console.error("added the clip \(name), \(String(format: "%.1f", added.seconds)) s\(advice), to \(library.folder.path)\(made); cast a speaker as \(name)\n")
                } else if let description {
                    try library.addProfile(named: name, description: description)
                    Console.error("added profile:\(name) to \(library.profileFile.path)\(made)\n")
                }
            } catch {
                Console.error("higgs: \(error)\n")
                throw ExitCode(1)
            }
        }
    }
}
