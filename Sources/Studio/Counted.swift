/// "1 line", "2 lines": a count and its noun, plural but for one (the studio's messages and the CLI's).
public func counted(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}

/// `4, 5, 9`: script line indexes as the gutter numbers them, eight at most (a summary's list of lines).
public func lineNumbers(_ lines: [Int]) -> String {
    lines.prefix(8).map { String($0 + 1) }.joined(separator: ", ") + (lines.count > 8 ? "…" : "")
}

/// `3, 40-162, 170`: script line indexes as the gutter numbers them, every one, runs of three or more as ranges (a
/// list that must be whole, however long).
public func lineRuns(_ lines: [Int]) -> String {
    var parts: [String] = []
    var start: Int?, last = -2
    func close() {
        guard let first = start else { return }
        parts.append(last - first >= 2 ? "\(first + 1)-\(last + 1)" : (first...last).map { String($0 + 1) }.joined(separator: ", "))
    }
    for line in lines.sorted() {
        if line != last + 1 { close(); start = line }
        last = line
    }
    close()
    return parts.joined(separator: ", ")
}

/// "40 s", "12 min", "2 h 05 min": a duration as an estimate is read.
public func spokenDuration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    if s < 60 { return "\(max(1, s)) s" }
    if s < 3600 { return "\((s + 30) / 60) min" }
    let minutes = (s + 30) / 60
    return String(format: "%d h %02d min", minutes / 60, minutes % 60)
}
