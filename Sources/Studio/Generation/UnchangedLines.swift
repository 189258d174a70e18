/// Which lines of a script an edit left as they were, and where each was before it: the lines before the first
/// that differs and after the last that differs. The studio plans the whole script again after every key; what
/// it worked out from an unchanged line's text (its parse, its transcript's hash) is taken from the plan before,
/// so a key costs little in a script of tens of thousands of lines.
struct UnchangedLines {
    /// Lines `0..<head` are the same in both scripts.
    private let head: Int
    /// Lines from `tailStart` on are the same as the old script's from `tailStart - shift` on.
    private let tailStart: Int
    private let shift: Int

    init(from old: [String], to new: [String]) {
        var head = 0
        // Unchanged lines are the same strings (the editor's), which compare without reading their text.
        while head < old.count && head < new.count && old[head] == new[head] { head += 1 }
        var tail = 0
        while tail < old.count - head && tail < new.count - head && old[old.count - 1 - tail] == new[new.count - 1 - tail] {
            tail += 1
        }
        self.head = head
        tailStart = new.count - tail
        shift = new.count - old.count
    }

    /// The old script's index of new line `i`, when the edit left it as it was.
    func old(_ i: Int) -> Int? {
        if i < head { return i }
        if i >= tailStart { return i - shift }
        return nil
    }
}
