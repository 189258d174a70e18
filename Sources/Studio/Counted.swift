/// "1 line", "2 lines": a count and its noun, plural but for one (the studio's messages and the CLI's).
public func counted(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}
