#if canImport(Glibc)
import Glibc
#endif

/// Lines and columns counted as libyaml counts them in UTF-8 text (docs/reference.md, "Record files"): a line
/// break is LF, CRLF, CR, NEL (U+0085), LS (U+2028) or PS (U+2029), and a column is a
/// character. The positions the readers work out themselves (the raw text of a rejected
/// record, the place of a byte that is not valid UTF-8) use this, so that they agree with
/// the marks libyaml gives.
enum LineBreaks {
    /// The length of the line break that starts at `bytes[index]`, 0 if none: 1 for LF
    /// and a lone CR, 2 for CRLF and NEL, 3 for LS and PS. Bytes past the end count as
    /// no continuation.
    static func breakLength(_ bytes: UnsafeRawBufferPointer, at index: Int) -> Int {
        func byte(_ offset: Int) -> UInt8 { index + offset < bytes.count ? bytes[index + offset] : 0 }
        switch bytes[index] {
        case 0x0A: return 1
        case 0x0D: return byte(1) == 0x0A ? 2 : 1
        case 0xC2: return byte(1) == 0x85 ? 2 : 0
        case 0xE2: return byte(1) == 0x80 && (byte(2) == 0xA8 || byte(2) == 0xA9) ? 3 : 0
        default: return 0
        }
    }

    /// Walks the bytes of the file open as `fd` from `base` up to `limit` (or its end), line
    /// by line: `piece(line, bytes)` gets the bytes of each line (a long line in several
    /// pieces), `ended(line, breakBytes)` each line break, and returns whether to go on.
    /// Lines are 0-based. A byte order mark at `base` is skipped, as libyaml skips it.
    /// - Returns: false when the file could not be read.
    /// - Complexity: O(n) in the bytes walked; memory of one buffer.
    @discardableResult
    static func walk(fd: Int32, from base: Int, to limit: Int = .max,
                     piece: (Int, UnsafeRawBufferPointer) -> Void,
                     ended: (Int, UnsafeRawBufferPointer) -> Bool) -> Bool {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var carried = 0
        var at = base
        var line = 0
        var isFirst = true
        while true {
            let count = pread(fd, buffer.baseAddress! + carried, min(buffer.count - carried, limit - at), off_t(at))
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return false }
            at += count
            let total = carried + count
            let isLast = count == 0 || at >= limit
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[..<total])
            var index = 0
            if isFirst, total >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
            isFirst = false
            var pieceStart = index
            // Two bytes are kept back until more are read: a break may go on into them.
            let safe = isLast ? total : total - 2
            while index < safe {
                let byte = bytes[index]
                guard byte == 0x0A || byte == 0x0D || byte == 0xC2 || byte == 0xE2 else {
                    index += 1
                    continue
                }
                let length = breakLength(bytes, at: index)
                guard length > 0 else {
                    index += 1
                    continue
                }
                piece(line, UnsafeRawBufferPointer(rebasing: bytes[pieceStart..<index]))
                guard ended(line, UnsafeRawBufferPointer(rebasing: bytes[index..<index + length])) else { return true }
                line += 1
                index += length
                pieceStart = index
            }
            piece(line, UnsafeRawBufferPointer(rebasing: bytes[pieceStart..<max(pieceStart, index)]))
            if isLast { return true }
            carried = total - index
            if carried > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + index, byteCount: carried) }
        }
    }

    /// The 0-based line and column (in characters) of the byte at `offset` of the file
    /// open as `fd`; nil when the file cannot be read.
    static func position(ofByte offset: Int, inFile fd: Int32) -> (line: Int, column: Int)? {
        var position = (line: 0, column: 0)
        let read = walk(fd: fd, from: 0, to: offset, piece: { line, bytes in
            position.line = line
            position.column += bytes.count { $0 & 0xC0 != 0x80 }
        }, ended: { line, _ in
            position = (line + 1, 0)
            return true
        })
        return read ? position : nil
    }

    /// The byte offset in `line` of its character `column` (0-based), or its end.
    static func offset(ofColumn column: Int, in line: [UInt8]) -> Int {
        var characters = 0
        for (index, byte) in line.enumerated() where byte & 0xC0 != 0x80 {
            if characters == column { return index }
            characters += 1
        }
        return line.count
    }
}
