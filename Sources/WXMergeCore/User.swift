/// A user id: `u_` + the first 24 hex digits (96 bits) of a SHA-256, held as numbers so
/// a million of them cost no heap strings. Ordering is the ordering of the text.
public struct UserID: Sendable, Hashable, Comparable {
    public var high: UInt64
    public var low: UInt32

    public init(high: UInt64, low: UInt32) {
        self.high = high
        self.low = low
    }

    public static func < (lhs: UserID, rhs: UserID) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// Bytes in `text`.
    public static let textLength = 26

    public var text: String {
        String(unsafeUninitializedCapacity: Self.textLength) { buffer in
            write(to: buffer.baseAddress!)
            return Self.textLength
        }
    }

    /// Writes `text` (`textLength` bytes) without making a String.
    public func write(to out: UnsafeMutablePointer<UInt8>) {
        let digits: StaticString = "0123456789abcdef"
        out[0] = UInt8(ascii: "u")
        out[1] = UInt8(ascii: "_")
        for index in 0..<16 {
            out[2 + index] = digits.utf8Start[Int((high >> UInt64(60 - 4 * index)) & 0xF)]
        }
        for index in 0..<8 {
            out[18 + index] = digits.utf8Start[Int((low >> UInt32(28 - 4 * index)) & 0xF)]
        }
    }

    public init?(text: String) {
        self.init(bytes: text.utf8)
    }

    public init?(bytes: some Sequence<UInt8>) {
        var high: UInt64 = 0
        var low: UInt32 = 0
        var count = 0
        for byte in bytes {
            defer { count += 1 }
            if count < 2 {
                guard byte == (count == 0 ? UInt8(ascii: "u") : UInt8(ascii: "_")) else { return nil }
                continue
            }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            if count < 18 { high = high << 4 | UInt64(digit) } else { low = low << 4 | UInt32(digit) }
        }
        guard count == 26 else { return nil }
        self.init(high: high, low: low)
    }
}

/// A merged person: a connected component of records.
public struct User: Sendable {
    public var id: UserID
    /// The canonical index of the user's first record (its smallest appid:openid key).
    public var firstRecord: Int32
    public var recordCount: Int32
    public var appCount: Int32
    public var createdAt: Int64
    public var updatedAt: Int64
    /// The canonical index of the record that gave each `SurvivingField`, or -1.
    public var survivors: SIMD4<Int32>

    public func survivor(_ field: SurvivingField) -> Int32? {
        let value = survivors[SurvivingField.allCases.firstIndex(of: field)!]
        return value < 0 ? nil : value
    }
}
