/// A problem decoding or encoding audio; `description` is one line, shown as is.
public struct CodecError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
