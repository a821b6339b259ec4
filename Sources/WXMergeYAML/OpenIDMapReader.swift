import WXMergeCore

/// An official-account migration's openid mapping (docs/reference.md, "Record files"), as read from its file.
public struct OpenIDMap: Sendable {
    /// Old openid -> new openid, for the items whose `err_msg` is missing or `ok`.
    public var newOpenID: [String: String] = [:]
    /// Items that map nothing: an error message, or no `ori_openid` / `new_openid`.
    public var erroredItems = 0
}

/// Reads an `openid_map` file, streamed like a record file: a sequence of
/// `{ori_openid, new_openid, err_msg}` items, or a saved changeopenid API response
/// (`{result_list: [...]}`, JSON read as YAML).
public struct OpenIDMapReader {
    public init() {}

    /// - Throws: `InputError`: a missing file when it is missing, invalid data when it is not valid YAML
    ///   or not of one of the two shapes.
    public func read(path: String, displayPath: String) throws -> OpenIDMap {
        let reader = try YAMLEventReader(path: path, displayPath: displayPath)
        var map = OpenIDMap()
        try reader.next()
        while true {
            try reader.next()
            switch reader.kind {
            case .streamEnd:
                return map
            case .documentStart:
                try reader.next()
                try readDocument(reader, into: &map)
                try reader.next()
            default:
                throw shapeError(reader)
            }
        }
    }

    private func readDocument(_ reader: YAMLEventReader, into map: inout OpenIDMap) throws {
        switch reader.kind {
        case .sequenceStart:
            try readItems(reader, into: &map)
        case .mappingStart:
            let start = reader.start
            var sawList = false
            try reader.next()
            while reader.kind != .mappingEnd {
                guard reader.kind == .scalar else { throw shapeError(reader) }
                let key = reader.scalarText
                try reader.next()
                if key == "result_list", reader.kind == .sequenceStart {
                    try readItems(reader, into: &map)
                    sawList = true
                } else {
                    try reader.skipNode()  // errcode, errmsg and the like
                }
                try reader.next()
            }
            if !sawList { throw shapeError(reader, at: start) }
        case .scalar where reader.isNullScalar:
            return
        default:
            throw shapeError(reader)
        }
    }

    private func readItems(_ reader: YAMLEventReader, into map: inout OpenIDMap) throws {
        try reader.next()
        while reader.kind != .sequenceEnd {
            guard reader.kind == .mappingStart else {
                try reader.skipNode()
                map.erroredItems += 1
                try reader.next()
                continue
            }
            var fields: [String: String] = [:]
            try reader.next()
            while reader.kind != .mappingEnd {
                let key = reader.kind == .scalar ? reader.scalarText : nil
                try reader.skipNode()
                try reader.next()
                if let key, reader.kind == .scalar, !reader.isNullScalar { fields[key] = reader.scalarText }
                try reader.skipNode()
                try reader.next()
            }
            let error = fields["err_msg"]
            if let old = fields["ori_openid"], let new = fields["new_openid"], error == nil || error == "ok" {
                map.newOpenID[old] = new
            } else {
                map.erroredItems += 1
            }
            try reader.next()
        }
    }

    private func shapeError(_ reader: YAMLEventReader, at mark: Mark? = nil) -> InputError {
        InputError(.invalidData,
                   [.error(at: (mark ?? reader.start).location(in: reader.displayPath), RecordMessage.openIDMapShape)])
    }
}
