import Foundation

/// A tensor as `torch.save` describes it in `data.pkl`: a view (offset, shape, strides, in
/// elements) of a storage saved as the archive entry `data/<key>`.
struct TorchTensorRecord: Equatable {
    var dtype: DType
    var storageKey: String
    var storageElements: Int
    var offset: Int
    var shape: [Int]
    var strides: [Int]
}

/// A restricted unpickler for the pickles `torch.save` writes for a state dict.
///
/// It knows the opcodes of protocols 2 to 4 that such a pickle uses and exactly these callables:
/// `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`, `torch._utils._rebuild_parameter`
/// and the storage classes of float32, float16, bfloat16 and int64. Any other global, any other
/// call and any other persistent id is refused: nothing is executed. Values live in a flat arena
/// addressed by index, so hostile nesting or cycles cannot recurse; every length is checked
/// against the bytes that remain, so memory stays proportional to the pickle's size.
struct Unpickler {
    /// One value on the stack or in a container. Containers are arena indices: pickle's memo
    /// shares objects by reference, and a container filled after it was memoised must be seen
    /// filled through every reference.
    enum Value {
        case none
        case bool(Bool)
        case int(Int)
        case float(Double)
        case string(String)
        case bytes(Int)
        case global(String)
        case object(Int)
    }

    enum Object {
        case tuple([Value])
        case list([Value])
        case dict([(Value, Value)])
        case storage(dtype: DType, key: String, elements: Int)
        case tensor(TorchTensorRecord)
    }

    struct Failure: Error {
        let problem: String
    }

    static let maximumPickleSize = 512 << 20

    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private var stack: [Value] = []
    private var marks: [Int] = []
    private var memo: [Int: Value] = [:]
    private(set) var objects: [Object] = []

    private init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Parses a state-dict pickle into its (name, tensor) entries in file order.
    static func stateDict(_ bytes: UnsafeRawBufferPointer) throws -> [(String, TorchTensorRecord)] {
        guard bytes.count <= maximumPickleSize else {
            throw Failure(problem: "data.pkl is \(bytes.count) bytes, more than a state dict's description needs")
        }
        var unpickler = Unpickler(bytes)
        let root = try unpickler.run()
        guard case .object(let id) = root, case .dict(let pairs) = unpickler.objects[id] else {
            throw Failure(problem: "data.pkl does not hold a dict of tensors (a state dict)")
        }
        var result: [(String, TorchTensorRecord)] = []
        result.reserveCapacity(pairs.count)
        for (key, value) in pairs {
            guard case .string(let name) = key else {
                throw Failure(problem: "state dict key \(unpickler.describe(key)) is not a string")
            }
            guard case .object(let vid) = value, case .tensor(let record) = unpickler.objects[vid] else {
                throw Failure(problem: "state dict entry '\(printable(name))' is \(unpickler.describe(value)), not a tensor")
            }
            result.append((name, record))
        }
        return result
    }

    // MARK: - The machine

    private mutating func run() throws -> Value {
        while true {
            guard position < bytes.count else { throw Failure(problem: "data.pkl is truncated (no STOP opcode)") }
            let opcode = bytes[position]
            let at = position
            position += 1
            switch opcode {
            case 0x80:  // PROTO
                let version = try readUInt(1)
                guard (2...5).contains(version) else { throw Failure(problem: "unsupported pickle protocol \(version)") }
            case 0x95:  // FRAME (protocol 4): framing is only a read-ahead hint
                _ = try readUInt(8)
            case 0x2E:  // STOP
                guard stack.count == 1, marks.isEmpty else {
                    throw Failure(problem: "malformed pickle: STOP with \(stack.count) values on the stack")
                }
                return stack[0]
            case 0x28:  // MARK
                marks.append(stack.count)
            case 0x4E: push(.none)
            case 0x88: push(.bool(true))
            case 0x89: push(.bool(false))
            case 0x4B: push(.int(try readUInt(1)))  // BININT1
            case 0x4D: push(.int(try readUInt(2)))  // BININT2
            case 0x4A:  // BININT
                push(.int(Int(Int32(truncatingIfNeeded: UInt32(try readUInt(4))))))
            case 0x8A:  // LONG1
                let n = try readUInt(1)
                push(.int(try readLong(n)))
            case 0x8B:  // LONG4
                let n = try readUInt(4)
                push(.int(try readLong(n)))
            case 0x47:  // BINFLOAT, big-endian double
                let raw = try readRaw(8)
                var bits: UInt64 = 0
                for b in raw { bits = bits << 8 | UInt64(b) }
                push(.float(Double(bitPattern: bits)))
            case 0x58: push(.string(try readString(try readUInt(4))))  // BINUNICODE
            case 0x8C: push(.string(try readString(try readUInt(1))))  // SHORT_BINUNICODE
            case 0x8D: push(.string(try readString(try readUInt(8))))  // BINUNICODE8
            case 0x55: push(.string(try readString(try readUInt(1))))  // SHORT_BINSTRING
            case 0x54: push(.string(try readString(try readUInt(4))))  // BINSTRING
            case 0x43: _ = try readRaw(try readUInt(1)); push(.bytes(0))  // SHORT_BINBYTES
            case 0x42: let n = try readUInt(4); _ = try readRaw(n); push(.bytes(n))  // BINBYTES
            case 0x7D: push(newObject(.dict([])))  // EMPTY_DICT
            case 0x5D: push(newObject(.list([])))  // EMPTY_LIST
            case 0x29: push(newObject(.tuple([])))  // EMPTY_TUPLE
            case 0x85, 0x86, 0x87:  // TUPLE1..3
                let n = Int(opcode) - 0x84
                guard stack.count - (marks.last ?? 0) >= n else { throw underflow(at) }
                let items = Array(stack.suffix(n))
                stack.removeLast(n)
                push(newObject(.tuple(items)))
            case 0x74:  // TUPLE
                push(newObject(.tuple(try popMark(at))))
            case 0x6C:  // LIST
                push(newObject(.list(try popMark(at))))
            case 0x64:  // DICT
                push(newObject(.dict(try pairs(try popMark(at), at))))
            case 0x61:  // APPEND
                let item = try pop(at)
                try extendList(with: [item], at)
            case 0x65:  // APPENDS
                let items = try popMark(at)
                try extendList(with: items, at)
            case 0x73:  // SETITEM
                let value = try pop(at), key = try pop(at)
                try extendDict(with: [(key, value)], at)
            case 0x75:  // SETITEMS
                let items = try pairs(try popMark(at), at)
                try extendDict(with: items, at)
            case 0x71: try put(try readUInt(1))  // BINPUT
            case 0x72: try put(try readUInt(4))  // LONG_BINPUT
            case 0x94: try put(memo.count)  // MEMOIZE
            case 0x68: try get(try readUInt(1), at)  // BINGET
            case 0x6A: try get(try readUInt(4), at)  // LONG_BINGET
            case 0x63:  // GLOBAL "module\nname\n"
                let module = try readLine(), name = try readLine()
                push(.global(try allowedGlobal(module, name)))
            case 0x93:  // STACK_GLOBAL
                let name = try pop(at), module = try pop(at)
                guard case .string(let m) = module, case .string(let n) = name else {
                    throw Failure(problem: "malformed STACK_GLOBAL at byte \(at)")
                }
                push(.global(try allowedGlobal(m, n)))
            case 0x51:  // BINPERSID
                push(try persistentLoad(try pop(at)))
            case 0x52:  // REDUCE
                let arguments = try pop(at), callable = try pop(at)
                push(try reduce(callable, arguments, at))
            case 0x62:  // BUILD: only an OrderedDict's attribute state (its `_metadata`), which we drop
                let state = try pop(at)
                guard let target = stack.last, case .object(let id) = target, case .dict = objects[id] else {
                    throw Failure(problem: "pickle BUILD at byte \(at) on something other than a dict is not allowed")
                }
                var acceptable = false
                if case .none = state { acceptable = true }
                if case .object(let sid) = state, case .dict = objects[sid] { acceptable = true }
                guard acceptable else {
                    throw Failure(problem: "pickle BUILD at byte \(at) with unexpected state \(describe(state))")
                }
            case 0x30: _ = try pop(at)  // POP
            case 0x32:  // DUP
                guard let top = stack.last, stack.count > (marks.last ?? 0) else { throw underflow(at) }
                push(top)
            default:
                throw Failure(problem: "pickle opcode 0x\(String(opcode, radix: 16)) at byte \(at) is not allowed in a state dict")
            }
        }
    }

    // MARK: - Callables

    private static let storageTypes: [String: DType] = [
        "torch.FloatStorage": .f32, "torch.HalfStorage": .f16, "torch.BFloat16Storage": .bf16, "torch.LongStorage": .i64,
    ]
    private static let otherStorages: Set<String> = [
        "torch.DoubleStorage", "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage", "torch.ByteStorage",
        "torch.BoolStorage", "torch.ComplexFloatStorage", "torch.ComplexDoubleStorage", "torch.UntypedStorage",
    ]

    private func allowedGlobal(_ module: String, _ name: String) throws -> String {
        let full = module + "." + name
        switch full {
        case "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter":
            return full
        default:
            if Self.storageTypes[full] != nil || Self.otherStorages.contains(full) { return full }
            throw Failure(problem: "data.pkl refers to \(Self.printable(full)), which a state dict never needs; refusing to load it")
        }
    }

    /// `('storage', StorageClass, key, location, elements)`: a storage saved as `data/<key>`.
    private mutating func persistentLoad(_ pid: Value) throws -> Value {
        guard case .object(let id) = pid, case .tuple(let items) = objects[id], items.count == 5,
              case .string("storage") = items[0], case .global(let kind) = items[1],
              case .string(let key) = items[2], case .int(let elements) = items[4] else {
            throw Failure(problem: "data.pkl has a persistent id that is not a tensor storage")
        }
        guard let dtype = Self.storageTypes[kind] else {
            throw Failure(problem: "storage '\(Self.printable(key))' is a \(kind); only float32, float16, bfloat16 and int64 tensors are supported")
        }
        guard elements >= 0 else { throw Failure(problem: "storage '\(Self.printable(key))' has \(elements) elements") }
        return newObject(.storage(dtype: dtype, key: key, elements: elements))
    }

    private mutating func reduce(_ callable: Value, _ arguments: Value, _ at: Int) throws -> Value {
        guard case .global(let name) = callable else {
            throw Failure(problem: "pickle REDUCE at byte \(at) calls \(describe(callable)), which is not allowed")
        }
        guard case .object(let aid) = arguments, case .tuple(let args) = objects[aid] else {
            throw Failure(problem: "pickle REDUCE at byte \(at): arguments are not a tuple")
        }
        switch name {
        case "collections.OrderedDict":
            guard args.isEmpty else { throw Failure(problem: "OrderedDict at byte \(at) built from arguments is not supported") }
            return newObject(.dict([]))
        case "torch._utils._rebuild_tensor_v2":
            return newObject(.tensor(try rebuildTensor(args, at)))
        case "torch._utils._rebuild_parameter":
            guard args.count >= 1, case .object(let tid) = args[0], case .tensor = objects[tid] else {
                throw Failure(problem: "_rebuild_parameter at byte \(at) does not wrap a tensor")
            }
            return args[0]
        default:
            throw Failure(problem: "pickle REDUCE at byte \(at) calls \(name), which is not allowed")
        }
    }

    /// `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks[, metadata])`.
    private func rebuildTensor(_ args: [Value], _ at: Int) throws -> TorchTensorRecord {
        guard args.count == 6 || args.count == 7,
              case .object(let sid) = args[0], case .storage(let dtype, let key, let elements) = objects[sid],
              case .int(let offset) = args[1] else {
            throw Failure(problem: "malformed tensor at byte \(at) (_rebuild_tensor_v2 arguments)")
        }
        let shape = try intTuple(args[2], "shape", at)
        let strides = try intTuple(args[3], "strides", at)
        guard shape.count == strides.count, shape.count <= 16 else {
            throw Failure(problem: "tensor at byte \(at) has shape \(shape) and strides \(strides) of different ranks")
        }
        guard offset >= 0, shape.allSatisfy({ $0 >= 0 && $0 < 1 << 40 }), strides.allSatisfy({ $0 >= 0 && $0 < 1 << 40 }) else {
            throw Failure(problem: "tensor at byte \(at) has a negative or huge offset, shape or stride")
        }
        return TorchTensorRecord(dtype: dtype, storageKey: key, storageElements: elements, offset: offset, shape: shape, strides: strides)
    }

    private func intTuple(_ value: Value, _ what: String, _ at: Int) throws -> [Int] {
        guard case .object(let id) = value, case .tuple(let items) = objects[id] else {
            throw Failure(problem: "tensor at byte \(at): \(what) is not a tuple")
        }
        return try items.map {
            guard case .int(let v) = $0 else { throw Failure(problem: "tensor at byte \(at): \(what) holds a non-integer") }
            return v
        }
    }

    // MARK: - Stack, memo and containers

    private mutating func push(_ value: Value) { stack.append(value) }

    private mutating func newObject(_ object: Object) -> Value {
        objects.append(object)
        return .object(objects.count - 1)
    }

    private func underflow(_ at: Int) -> Failure {
        Failure(problem: "malformed pickle: stack underflow at byte \(at)")
    }

    private mutating func pop(_ at: Int) throws -> Value {
        guard stack.count > (marks.last ?? 0) else { throw underflow(at) }
        return stack.removeLast()
    }

    private mutating func popMark(_ at: Int) throws -> [Value] {
        guard let mark = marks.popLast() else { throw Failure(problem: "malformed pickle: no MARK before byte \(at)") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private func pairs(_ items: [Value], _ at: Int) throws -> [(Value, Value)] {
        guard items.count % 2 == 0 else { throw Failure(problem: "malformed pickle: odd number of dict items at byte \(at)") }
        return stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) }
    }

    private mutating func extendList(with items: [Value], _ at: Int) throws {
        guard let target = stack.last, stack.count > (marks.last ?? 0), case .object(let id) = target,
              case .list(var list) = objects[id] else {
            throw Failure(problem: "malformed pickle: APPEND at byte \(at) to something other than a list")
        }
        objects[id] = .tuple([])  // release the array so the append below does not copy it
        list.append(contentsOf: items)
        objects[id] = .list(list)
    }

    private mutating func extendDict(with items: [(Value, Value)], _ at: Int) throws {
        guard let target = stack.last, stack.count > (marks.last ?? 0), case .object(let id) = target,
              case .dict(var dict) = objects[id] else {
            throw Failure(problem: "malformed pickle: SETITEM at byte \(at) on something other than a dict")
        }
        objects[id] = .tuple([])
        dict.append(contentsOf: items)
        objects[id] = .dict(dict)
    }

    private mutating func put(_ index: Int) throws {
        guard let top = stack.last else { throw Failure(problem: "malformed pickle: memo put on an empty stack") }
        memo[index] = top
    }

    private mutating func get(_ index: Int, _ at: Int) throws {
        guard let value = memo[index] else {
            throw Failure(problem: "malformed pickle: memo entry \(index) read at byte \(at) was never written")
        }
        push(value)
    }

    // MARK: - Reading bytes

    private mutating func readRaw(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= bytes.count - position else {
            throw Failure(problem: "data.pkl is truncated (an item of \(count) bytes runs past its end)")
        }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<position + count])
    }

    private mutating func readUInt(_ width: Int) throws -> Int {
        let raw = try readRaw(width)
        var value: UInt64 = 0
        for (i, b) in raw.enumerated() { value |= UInt64(b) << (8 * UInt64(i)) }
        guard value <= UInt64(Int.max) else { throw Failure(problem: "pickle length or index out of range") }
        return Int(value)
    }

    /// A little-endian two's-complement integer of `count` bytes; more than 8 bytes is refused.
    private mutating func readLong(_ count: Int) throws -> Int {
        guard count <= 8 else { throw Failure(problem: "pickle integer of \(count) bytes is too large") }
        let raw = try readRaw(count)
        guard count > 0 else { return 0 }
        var value: UInt64 = 0
        for (i, b) in raw.enumerated() { value |= UInt64(b) << (8 * UInt64(i)) }
        if count < 8, raw[count - 1] & 0x80 != 0 { value |= ~UInt64(0) << (8 * UInt64(count)) }
        return Int(Int64(bitPattern: value))
    }

    private mutating func readString(_ count: Int) throws -> String {
        String(decoding: try readRaw(count), as: UTF8.self)
    }

    private mutating func readLine() throws -> String {
        var end = position
        while end < bytes.count, bytes[end] != 0x0A, end - position < 256 { end += 1 }
        guard end < bytes.count, bytes[end] == 0x0A else { throw Failure(problem: "data.pkl has a malformed GLOBAL name") }
        let line = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self)
        position = end + 1
        return line
    }

    /// Text from the file made safe for a one-line message: printable ASCII, at most 80 characters.
    static func printable(_ text: String) -> String {
        let cleaned = String(text.unicodeScalars.prefix(80).map { (0x20..<0x7F).contains($0.value) ? Character($0) : "?" })
        return text.unicodeScalars.count > 80 ? cleaned + "..." : cleaned
    }

    func describe(_ value: Value) -> String {
        switch value {
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return "the integer \(i)"
        case .float(let d): return "the number \(d)"
        case .string(let s): return "the string '\(Self.printable(s))'"
        case .bytes: return "bytes"
        case .global(let g): return g
        case .object(let id):
            switch objects[id] {
            case .tuple: return "a tuple"
            case .list: return "a list"
            case .dict: return "a dict"
            case .storage: return "a storage"
            case .tensor: return "a tensor"
            }
        }
    }
}
