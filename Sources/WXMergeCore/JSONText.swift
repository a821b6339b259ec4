/// JSON string literals: what the reader's attributes and the store's `runs` columns share.
public enum JSONText {
    public static func appendString(_ bytes: some Collection<UInt8>, to json: inout [UInt8]) {
        if bytes.withContiguousStorageIfAvailable({ appendString(buffer: $0, to: &json) }) == nil {
            Array(bytes).withUnsafeBufferPointer { appendString(buffer: $0, to: &json) }
        }
    }

    /// Appends the runs that need no escape in one go: the reader writes one string per
    /// attribute key and value.
    public static func appendString(buffer bytes: UnsafeBufferPointer<UInt8>, to json: inout [UInt8]) {
        let hex: StaticString = "0123456789abcdef"
        json.append(UInt8(ascii: "\""))
        var runStart = 0
        for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            json.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            runStart = index + 1
            json.append(UInt8(ascii: "\\"))
            switch byte {
            case 0x0A: json.append(UInt8(ascii: "n"))
            case 0x0D: json.append(UInt8(ascii: "r"))
            case 0x09: json.append(UInt8(ascii: "t"))
            case 0..<0x20:
                json.append(contentsOf: "u00".utf8)
                json.append(hex.utf8Start[Int(byte >> 4)])
                json.append(hex.utf8Start[Int(byte & 0xF)])
            default: json.append(byte)
            }
        }
        json.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        json.append(UInt8(ascii: "\""))
    }

    /// `text` as a JSON string literal.
    public static func quoted(_ text: String) -> String {
        var json: [UInt8] = []
        appendString(text.utf8, to: &json)
        return String(decoding: json, as: UTF8.self)
    }
}
