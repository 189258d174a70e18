import Foundation

/// Tab in a prompt that asks for a file: the path typed so far completed as far as the names it could
/// still mean agree, as a shell completes it.
public enum PathCompletion {
    /// `text` completed in `folder` (where a relative path starts; `~` is the home folder): the completed
    /// text (a folder gains `/`) and the names it could still mean, sorted (several when it stops short).
    public static func complete(_ text: String, in folder: URL) -> (text: String, candidates: [String]) {
        let slash = text.lastIndex(of: "/")
        let typedFolder = slash.map { String(text[...$0]) } ?? ""
        let prefix = slash.map { String(text[text.index(after: $0)...]) } ?? text
        let expanded = NSString(string: typedFolder.isEmpty ? "." : typedFolder).expandingTildeInPath
        let base = expanded.hasPrefix("/") ? URL(fileURLWithPath: expanded) : folder.appendingPathComponent(expanded)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? [])
            .filter { $0.hasPrefix(prefix) && (prefix.hasPrefix(".") || !$0.hasPrefix(".")) }
            .sorted()
        guard let first = names.first else { return (text, []) }
        var common = first
        for name in names.dropFirst() {
            while !name.hasPrefix(common) { common.removeLast() }
        }
        var completed = typedFolder + common
        if names.count == 1 {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: base.appendingPathComponent(first).path, isDirectory: &isFolder), isFolder.boolValue {
                completed += "/"
            }
        }
        return (completed, names)
    }
}
