import Foundation

/// A flag one thread sets and others read.
public final class SharedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var set = false

    public init() {}

    public var value: Bool {
        get { lock.withLock { set } }
        set { lock.withLock { set = newValue } }
    }
}
