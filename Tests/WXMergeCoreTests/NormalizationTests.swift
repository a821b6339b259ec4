import Testing
import WXMergeCore

@Suite struct NormalizationTests {
    private func phone(_ text: String) -> String? {
        Array(text.utf8).withUnsafeBufferPointer { Normalization.phone($0) }.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test(arguments: [
        ("+86 138 0013 8000", "+8613800138000"),
        ("13800138000", "+8613800138000"),
        ("138-0013-8000", "+8613800138000"),
        ("86 13800138000", "+8613800138000"),
        ("0086 138 0013 8000", "+8613800138000"),
        ("(+1) 415.555.0100", "+14155550100"),
        ("+44 20 7946 0958", "+442079460958"),
    ])
    func phonesBecomeE164(_ written: String, _ expected: String) {
        #expect(phone(written) == expected)
    }

    @Test(arguments: ["未填写", "12345", "000-0000", "n/a", "+1234567", "+1234567890123456", "23800138000", ""])
    func phonesThatCannotBeNormalised(_ written: String) {
        #expect(phone(written) == nil)
    }

    @Test func emailsAreTrimmedAndLowercased() {
        #expect(Normalization.email("  Zhang@Example.COM ") == "zhang@example.com")
        #expect(Normalization.email("no-at-sign") == nil)
        #expect(Normalization.email("a@b@c") == nil)
        #expect(Normalization.email("@example.com") == nil)
    }

    /// The reader normalises emails from bytes: it must agree with the text version.
    @Test(arguments: ["  Zhang@Example.COM ", "\tA@B\n", "no-at-sign", "a@b@c", "@example.com", "a@", "@", "",
                      "Ünïcode@Example.com", "张三@例子.CN", "\u{3000}x@y.z\u{3000}", "x@y.z\u{85}"])
    func emailsFromBytesMatchEmailsFromText(_ text: String) {
        let fromBytes = Array(text.utf8).withUnsafeBufferPointer { Normalization.email($0) }
        #expect(fromBytes == Normalization.email(text).map { Array($0.utf8) })
    }

    private func time(_ text: String) -> Int64? {
        Array(text.utf8).withUnsafeBufferPointer { Normalization.time($0) }
    }

    @Test(arguments: [
        ("2020-01-02T03:04:05Z", "2020-01-02T03:04:05Z"),
        ("2020-01-02T03:04:05", "2020-01-02T03:04:05Z"),
        ("2020-01-02 03:04:05", "2020-01-02T03:04:05Z"),
        ("2025-01-02T03:04:05+08:00", "2025-01-01T19:04:05Z"),
        ("2020-01-02T03:04:05.123-0130", "2020-01-02T04:34:05Z"),
        ("2020-02-29", "2020-02-29T00:00:00Z"),
        ("1577934245", "2020-01-02T03:04:05Z"),
        ("1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"),
        ("1900-03-01T00:00:00Z", "1900-03-01T00:00:00Z"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
        ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"),
    ])
    func timesAreWrittenInUTC(_ written: String, _ expected: String) throws {
        #expect(Normalization.formatTime(try #require(time(written))) == expected)
    }

    @Test(arguments: ["2021-02-29", "yesterday", "2020-13-01", "2020-01-02T25:00:00Z", "12:00"])
    func textsThatAreNotTimes(_ written: String) {
        #expect(time(written) == nil)
    }

    @Test(arguments: ["", "  ", "null", "~", "undefined", "None"])
    func spellingsOfAMissingID(_ written: String) {
        #expect(Array(written.utf8).withUnsafeBufferPointer { Normalization.isMissingID($0) })
    }

    @Test(arguments: ["0", "NULL", "nil", "o1"])
    func idsThatAreNotMissing(_ written: String) {
        #expect(!Array(written.utf8).withUnsafeBufferPointer { Normalization.isMissingID($0) })
    }

    @Test func whiteSpaceInsideAnIDIsFound() {
        for text in ["o K", "o\tK", "o\u{3000}K", "o\u{A0}K"] {
            #expect(Array(text.utf8).withUnsafeBufferPointer { Normalization.containsWhiteSpace($0) }, "\(text)")
        }
        #expect(!Array("oK6Yq5".utf8).withUnsafeBufferPointer { Normalization.containsWhiteSpace($0) })
    }

    @Test func masksKeepTheLastFourCharacters() {
        #expect(Privacy(showsValues: false).mask("+8613800138000") == "…8000")
        #expect(Privacy(showsValues: true).mask("+8613800138000") == "+8613800138000")
    }
}
