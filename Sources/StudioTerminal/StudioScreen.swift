import CNcurses
import Foundation

/// The studio's terminal screen. For now a title card; the editor arrives with the studio issue.
public enum StudioScreen {
    public static func run(projectPath: String?) throws {
        setlocale(LC_ALL, "")
        guard initscr() != nil else {
            throw NSError(domain: "higgs", code: 1, userInfo: [NSLocalizedDescriptionKey: "cannot initialise the terminal"])
        }
        defer { endwin() }
        cbreak()
        noecho()
        keypad(stdscr, true)
        curs_set(0)
        let lines = [
            "Higgs Studio",
            "",
            projectPath.map { "project: \($0)" } ?? "no project open",
            "",
            "The script editor is on its way. Press q to quit.",
        ]
        let top = max(0, Int(LINES) / 2 - lines.count / 2)
        for (i, line) in lines.enumerated() {
            let x = max(0, (Int(COLS) - line.count) / 2)
            mvaddstr(Int32(top + i), Int32(x), line)
        }
        refresh()
        while true {
            let key = getch()
            if key == Int32(UInt8(ascii: "q")) || key == 27 || key == ERR { break }
        }
    }
}
