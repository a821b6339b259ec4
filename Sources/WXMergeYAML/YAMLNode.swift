import WXMergeCore

/// A small YAML tree with positions, for the job file only (a few hundred bytes);
/// record files are never read into a tree.
indirect enum YAMLNode {
    case scalar(String, isPlain: Bool, Mark)
    case sequence([YAMLNode], Mark)
    case mapping([(key: YAMLNode, value: YAMLNode)], Mark)

    var mark: Mark {
        switch self {
        case .scalar(_, _, let mark), .sequence(_, let mark), .mapping(_, let mark): mark
        }
    }

    /// Reads the first document of a file into a tree; nil for an empty file. The reader
    /// bounds the depth (so this recursion) and expands aliases.
    static func read(_ reader: YAMLEventReader) throws -> YAMLNode? {
        try reader.next()  // stream start
        try reader.next()
        guard reader.kind == .documentStart else { return nil }
        try reader.next()
        return try node(reader)
    }

    private static func node(_ reader: YAMLEventReader) throws -> YAMLNode {
        let mark = reader.start
        switch reader.kind {
        case .scalar:
            return .scalar(reader.scalarText, isPlain: reader.isPlainScalar, mark)
        case .sequenceStart:
            var items: [YAMLNode] = []
            try reader.next()
            while reader.kind != .sequenceEnd {
                items.append(try node(reader))
                try reader.next()
            }
            return .sequence(items, mark)
        case .mappingStart:
            var pairs: [(key: YAMLNode, value: YAMLNode)] = []
            try reader.next()
            while reader.kind != .mappingEnd {
                let key = try node(reader)
                try reader.next()
                pairs.append((key, try node(reader)))
                try reader.next()
            }
            return .mapping(pairs, mark)
        default:
            // Not reached: inside a document the reader gives out only nodes' events.
            return .scalar("", isPlain: true, mark)
        }
    }
}
