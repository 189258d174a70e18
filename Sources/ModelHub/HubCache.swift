import Foundation

/// The Hugging Face hub's local cache, as `huggingface_hub` lays it out, so that checkpoints downloaded by
/// `huggingface-cli`, `hf download` or the reference's own `from_pretrained` are found where they are:
///
///     <root>/models--<org>--<name>/refs/<revision>          the commit hash a branch or tag points at
///     <root>/models--<org>--<name>/snapshots/<commit>/FILE  the files (links into blobs/)
///     <root>/models--<org>--<name>/blobs/<etag>             the contents
public struct HubCache: Sendable, Equatable {
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    /// The cache the hub's own tools use: `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`
    /// (`$XDG_CACHE_HOME/huggingface/hub` when that is set, as huggingface_hub does).
    public init(environment: [String: String]) {
        let home = URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory())
        func path(_ value: String) -> URL {
            URL(fileURLWithPath: value.hasPrefix("~/") ? home.path + value.dropFirst() : value)
        }
        if let cache = environment["HF_HUB_CACHE"], !cache.isEmpty {
            root = path(cache)
        } else if let hfHome = environment["HF_HOME"], !hfHome.isEmpty {
            root = path(hfHome).appendingPathComponent("hub")
        } else if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            root = path(xdg).appendingPathComponent("huggingface/hub")
        } else {
            root = home.appendingPathComponent(".cache/huggingface/hub")
        }
    }

    /// `models--org--name`.
    public func repositoryFolder(_ repository: String) -> URL {
        root.appendingPathComponent("models--" + repository.replacingOccurrences(of: "/", with: "--"))
    }

    /// The commit a revision names: a branch or tag through `refs/`, or a commit hash as given.
    public func commit(_ repository: String, revision: String = "main") -> String? {
        let ref = repositoryFolder(repository).appendingPathComponent("refs").appendingPathComponent(revision)
        if let text = try? String(contentsOf: ref, encoding: .utf8) {
            let hash = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !hash.isEmpty { return hash }
        }
        let isHash = revision.count == 40 && revision.allSatisfy { $0.isHexDigit }
        return isHash ? revision : nil
    }

    /// The snapshot folder of a revision, when it exists.
    public func snapshot(_ repository: String, revision: String = "main") -> URL? {
        guard let commit = commit(repository, revision: revision) else { return nil }
        let folder = repositoryFolder(repository).appendingPathComponent("snapshots").appendingPathComponent(commit)
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder) && isFolder.boolValue ? folder : nil
    }
}
