/// Value normalisation as docs/reference.md, "Record files" defines it, on UTF-8 bytes (the reader hands over
/// scalars without making Strings of them).
public enum Normalization {
    // MARK: Ids

    /// Whether an id is one of the spellings of "no id": empty, only white space,
    /// `null`, `~`, `undefined`, `None`.
    public static func isMissingID(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if isBlank(bytes) { return true }
        switch bytes.count {
        case 1: return bytes[0] == UInt8(ascii: "~")
        case 4: return bytes.elementsEqual("null".utf8) || bytes.elementsEqual("None".utf8)
        case 9: return bytes.elementsEqual("undefined".utf8)
        default: return false
        }
    }

    /// Whether the text is empty or white space only.
    public static func isBlank(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        while index < bytes.count {
            let width = whiteSpaceWidth(bytes, at: index)
            if width == 0 { return false }
            index += width
        }
        return true
    }

    /// Whether the text holds white space anywhere (ASCII, no-break and ideographic spaces).
    public static func containsWhiteSpace(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for index in 0..<bytes.count {
            let byte = bytes[index]
            // Visible ASCII, as ids nearly always are, is never white space.
            if byte > 0x20, byte < 0x80 { continue }
            if whiteSpaceWidth(bytes, at: index) > 0 { return true }
        }
        return false
    }

    /// The byte length of the white-space character at `index`, 0 when there is none.
    private static func whiteSpaceWidth(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int {
        let byte = bytes[index]
        switch byte {
        case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C:
            return 1
        case 0xC2 where index + 1 < bytes.count && bytes[index + 1] == 0xA0:
            return 2  // U+00A0
        case 0xE3 where index + 2 < bytes.count && bytes[index + 1] == 0x80 && bytes[index + 2] == 0x80:
            return 3  // U+3000
        case 0xE2 where index + 2 < bytes.count && bytes[index + 1] == 0x80 && bytes[index + 2] <= 0x8A:
            return 3  // U+2000–U+200A
        default:
            return 0
        }
    }

    // MARK: Phones

    /// The phone as E.164 (`+8613800138000`), or nil when it cannot be normalised.
    ///
    /// Spaces, `-`, `.`, `(`, `)` are dropped. With a leading `+` or `00` the number is
    /// international and must have 8 to 15 digits; without one, 11 digits starting with
    /// `1`, or `86` and such 11 digits, are Chinese mobiles.
    public static func phone(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var digits: [UInt8] = []
        digits.reserveCapacity(bytes.count)
        var hasPlus = false
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digits.append(byte)
            case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "("), UInt8(ascii: ")"):
                continue
            case UInt8(ascii: "+") where digits.isEmpty && !hasPlus:
                hasPlus = true
            default:
                return nil
            }
        }
        var international = hasPlus
        if !hasPlus, digits.count > 2, digits[0] == UInt8(ascii: "0"), digits[1] == UInt8(ascii: "0") {
            digits.removeFirst(2)
            international = true
        }
        let plus = UInt8(ascii: "+")
        if international {
            guard (8...15).contains(digits.count) else { return nil }
            return [plus] + digits
        }
        if digits.count == 11, digits[0] == UInt8(ascii: "1") {
            return [plus, UInt8(ascii: "8"), UInt8(ascii: "6")] + digits
        }
        if digits.count == 13, digits[0] == UInt8(ascii: "8"), digits[1] == UInt8(ascii: "6"),
           digits[2] == UInt8(ascii: "1") {
            return [plus] + digits
        }
        return nil
    }

    // MARK: Emails

    /// The email trimmed and lowercased, or nil unless it has exactly one `@` with text
    /// on both sides.
    public static func email(_ text: String) -> String? {
        let trimmed = text.trimmingWhiteSpace().lowercased()
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return trimmed
    }

    /// `email(_:)` on bytes, as the reader has them: ASCII (nearly every address) is
    /// trimmed and lowercased byte by byte, anything else goes through `String`.
    public static func email(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard !bytes.contains(where: { $0 >= 0x80 }) else {
            return email(String(decoding: bytes, as: UTF8.self)).map { Array($0.utf8) }
        }
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        var start = 0
        var end = bytes.count
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        var result: [UInt8] = []
        result.reserveCapacity(end - start)
        var at = -1
        for index in start..<end {
            let byte = bytes[index]
            if byte == UInt8(ascii: "@") {
                guard at < 0 else { return nil }
                at = result.count
            }
            result.append((0x41...0x5A).contains(byte) ? byte + 0x20 : byte)
        }
        guard at > 0, at < result.count - 1 else { return nil }
        return result
    }

    // MARK: Times

    /// Unix seconds from ISO 8601 (`2020-01-02T03:04:05Z`, a zone offset, a fraction, a
    /// space instead of `T`, or a date alone; no zone means UTC) or from Unix seconds.
    public static func time(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var scanner = ByteScanner(bytes: bytes)
        scanner.skipWhiteSpace()
        if let seconds = scanner.unixSeconds() { return seconds }
        guard let year = scanner.number(digits: 4), scanner.take(UInt8(ascii: "-")),
              let month = scanner.number(digits: 2), scanner.take(UInt8(ascii: "-")),
              let day = scanner.number(digits: 2),
              (1...12).contains(month), (1...daysInMonth(year, month)).contains(day)
        else { return nil }
        var seconds = daysFromCivil(year, month, day) * 86_400
        if scanner.take(UInt8(ascii: "T")) || scanner.take(UInt8(ascii: "t")) || scanner.take(UInt8(ascii: " ")) {
            guard let hour = scanner.number(digits: 2), scanner.take(UInt8(ascii: ":")),
                  let minute = scanner.number(digits: 2), hour < 24, minute < 60
            else { return nil }
            var second: Int64 = 0
            if scanner.take(UInt8(ascii: ":")) {
                guard let value = scanner.number(digits: 2), value < 61 else { return nil }
                second = value
                if scanner.take(UInt8(ascii: ".")) || scanner.take(UInt8(ascii: ",")) {
                    guard scanner.skipDigits() > 0 else { return nil }
                }
            }
            seconds += hour * 3600 + minute * 60 + second
            scanner.skipSpaces()
            if scanner.take(UInt8(ascii: "Z")) || scanner.take(UInt8(ascii: "z")) {
            } else if let sign = scanner.takeSign() {
                guard let offsetHours = scanner.number(digits: 2) else { return nil }
                _ = scanner.take(UInt8(ascii: ":"))
                let offsetMinutes = scanner.number(digits: 2) ?? 0
                seconds -= sign * (offsetHours * 3600 + offsetMinutes * 60)
            }
        }
        scanner.skipWhiteSpace()
        return scanner.isAtEnd ? seconds : nil
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` in UTC.
    public static func formatTime(_ seconds: Int64) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: timeLength) { buffer in
            writeTime(seconds, to: buffer.baseAddress!)
            return String(decoding: buffer, as: UTF8.self)
        }
    }

    /// The length of a formatted time, for years 0000 to 9999.
    public static let timeLength = 20

    /// Writes `YYYY-MM-DDTHH:MM:SSZ` (`timeLength` bytes) without making a String: the
    /// store writes one or two per record.
    public static func writeTime(_ seconds: Int64, to out: UnsafeMutablePointer<UInt8>) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = civilFromDays(days)
        // Two digits at a time, each pair a division by a constant: a time is written
        // once or twice for every record and user, and digit by digit it cost several
        // hundred instructions.
        func pair(_ value: Int, at offset: Int) {
            let tens = value / 10
            out[offset] = UInt8(truncatingIfNeeded: 48 + tens)
            out[offset + 1] = UInt8(truncatingIfNeeded: 48 + value - tens * 10)
        }
        let fourDigits = Int(max(0, year) % 10_000)
        pair(fourDigits / 100, at: 0)
        pair(fourDigits % 100, at: 2)
        out[4] = UInt8(ascii: "-")
        pair(Int(month), at: 5)
        out[7] = UInt8(ascii: "-")
        pair(Int(day), at: 8)
        out[10] = UInt8(ascii: "T")
        pair(secondOfDay / 3600, at: 11)
        out[13] = UInt8(ascii: ":")
        pair(secondOfDay / 60 % 60, at: 14)
        out[16] = UInt8(ascii: ":")
        pair(secondOfDay % 60, at: 17)
        out[19] = UInt8(ascii: "Z")
    }

    private static func daysInMonth(_ year: Int64, _ month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(_ year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilFromDays(_ days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// A cursor over bytes for the time parser.
private struct ByteScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    var isAtEnd: Bool { index == bytes.count }

    mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func takeSign() -> Int64? {
        if take(UInt8(ascii: "+")) { return 1 }
        if take(UInt8(ascii: "-")) { return -1 }
        return nil
    }

    mutating func number(digits: Int) -> Int64? {
        guard index + digits <= bytes.count else { return nil }
        var value: Int64 = 0
        for offset in 0..<digits {
            let byte = bytes[index + offset]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        index += digits
        return value
    }

    mutating func skipDigits() -> Int {
        let start = index
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            index += 1
        }
        return index - start
    }

    mutating func skipSpaces() {
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
    }

    mutating func skipWhiteSpace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    /// Unix seconds: optional `-`, then only digits up to the end (trailing white space allowed).
    mutating func unixSeconds() -> Int64? {
        var probe = self
        let negative = probe.take(UInt8(ascii: "-"))
        let start = probe.index
        let count = probe.skipDigits()
        guard count > 0, count <= 12 else { return nil }
        probe.skipWhiteSpace()
        guard probe.isAtEnd else { return nil }
        var value: Int64 = 0
        for offset in start..<start + count {
            value = value * 10 + Int64(bytes[offset] - UInt8(ascii: "0"))
        }
        self = probe
        return negative ? -value : value
    }
}

extension String {
    /// Byte order of the UTF-8 text: the order docs/reference.md, "Rules" sorts appids, sources and files in.
    public func precedesInByteOrder(_ other: String) -> Bool {
        utf8.lexicographicallyPrecedes(other.utf8)
    }

    func trimmingWhiteSpace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
