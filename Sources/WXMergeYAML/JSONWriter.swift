import WXMergeCore

/// Turns a YAML node, read event by event, into JSON text for the `attributes` column.
///
/// Plain scalars that read as YAML 1.2 core-schema null, booleans or numbers become JSON
/// literals; every other scalar becomes a string. Keys are always strings.
enum JSONWriter {
    /// Appends the node starting at the reader's current event; leaves the reader on
    /// the node's last event. Nesting is handled with a stack, not recursion, so a deeply
    /// nested value cannot exhaust the call stack.
    static func appendNode(_ reader: YAMLEventReader, to json: inout [UInt8]) throws {
        // For each open container: whether it is a mapping, and how many items it has had.
        var stack: [(isMapping: Bool, items: Int)] = []
        while true {
            if var top = stack.last, reader.kind != .sequenceEnd, reader.kind != .mappingEnd {
                let isKey = top.isMapping && top.items % 2 == 0
                if top.isMapping && !isKey {
                    json.append(UInt8(ascii: ":"))
                } else if top.items > 0 {
                    json.append(UInt8(ascii: ","))
                }
                top.items += 1
                stack[stack.count - 1] = top
                if isKey {
                    try appendKey(reader, to: &json)
                    try reader.next()
                    continue
                }
            }
            switch reader.kind {
            case .scalar:
                appendScalar(reader.scalar, isPlain: reader.isPlainScalar, to: &json)
            case .sequenceStart:
                json.append(UInt8(ascii: "["))
                stack.append((false, 0))
            case .mappingStart:
                json.append(UInt8(ascii: "{"))
                stack.append((true, 0))
            case .sequenceEnd:
                json.append(UInt8(ascii: "]"))
                stack.removeLast()
            case .mappingEnd:
                json.append(UInt8(ascii: "}"))
                stack.removeLast()
            default:
                break  // not reached: the reader gives out only nodes' events here
            }
            if stack.isEmpty { return }
            try reader.next()
        }
    }

    /// A mapping key: a scalar's text, or the JSON of a complex key as a string.
    private static func appendKey(_ reader: YAMLEventReader, to json: inout [UInt8]) throws {
        if reader.kind == .scalar {
            JSONText.appendString(buffer: reader.scalar, to: &json)
        } else {
            var inner: [UInt8] = []
            try appendNode(reader, to: &inner)
            JSONText.appendString(inner, to: &json)
        }
    }

    static func appendScalar(_ bytes: UnsafeBufferPointer<UInt8>, isPlain: Bool, to json: inout [UInt8]) {
        if isPlain {
            if YAMLEventReader.isNull(bytes) {
                json.append(contentsOf: "null".utf8)
                return
            }
            if isJSONNumber(bytes) {
                json.append(contentsOf: bytes)
                return
            }
            for (spellings, literal) in booleans where spellings.contains(where: { $0.elementsEqual(bytes) }) {
                json.append(contentsOf: literal.utf8)
                return
            }
        }
        JSONText.appendString(buffer: bytes, to: &json)
    }

    /// YAML 1.2 core-schema booleans and their JSON literal.
    private static let booleans: [([[UInt8]], String)] = [
        (["true", "True", "TRUE"].map { Array($0.utf8) }, "true"),
        (["false", "False", "FALSE"].map { Array($0.utf8) }, "false"),
    ]

    /// Whether the text is a JSON number without leading zeros (`01234` stays a string).
    static func isJSONNumber(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        func digits() -> Int {
            let start = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
            return index - start
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let intStart = index
        let count = digits()
        guard count > 0, count == 1 || bytes[intStart] != UInt8(ascii: "0") else { return false }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { return false }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { return false }
        }
        return index == bytes.count
    }
}
