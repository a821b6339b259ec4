internal import WXMergeCore

/// From the fields of the record just read to a `Record` (docs/reference.md, "Record files"): whether it
/// can be used at all, then its values normalised, its texts stored, its payload spooled.
extension RecordFileReader {
    func isPresent(_ field: Field) -> Bool {
        present & field.bit != 0
    }

    /// The field's bytes, valid until the next record is read.
    func value(_ field: Field) -> UnsafeBufferPointer<UInt8>? {
        isPresent(field) ? values[field.rawValue] : nil
    }

    /// The reason the record in scratch cannot be used, or nil; the app and platform it
    /// names, looked up once, in `app` and `platform`.
    func validate() -> String? {
        app = Self.pending
        platform = Self.pending
        if let flag = value(.isSnapshotUser), Self.snapshotFlags.contains(where: { $0.elementsEqual(flag) }) {
            return RecordMessage.snapshotUser
        }
        for field in Self.idFields {
            guard let id = value(field) else { continue }
            if Normalization.isMissingID(id) {
                present &= ~field.bit
                continue
            }
            if Normalization.containsWhiteSpace(id) {
                return RecordMessage.whiteSpaceInID(field.name)
            }
            if id.count > 128 { return RecordMessage.idTooLong(field.name) }
        }
        if !isPresent(.openid) { return RecordMessage.missingOpenID }
        if let appid = value(.appid), !Normalization.isMissingID(appid) {
            guard App.isWellFormedAppID(appid) else { return RecordMessage.malformedAppID }
            guard let index = appByID[Array(appid)] else { return RecordMessage.unlistedAppID }
            app = index
        } else {
            present &= ~Field.appid.bit
        }
        if let platform = value(.platform), !Normalization.isMissingID(platform) {
            guard let index = platformByID[Array(platform)] else { return RecordMessage.unlistedPlatform }
            self.platform = index
        } else {
            present &= ~Field.platform.bit
        }
        return nil
    }

    func accept(start: Mark, end: Mark) throws {
        let location = start
        func ref(_ field: Field) -> TextRef {
            value(field).map(buffer.store) ?? .missing
        }
        func time(_ field: Field) -> Int64 {
            guard let bytes = value(field), !Normalization.isBlank(bytes) else { return Record.noTime }
            if let seconds = Normalization.time(bytes) { return seconds }
            warn(.unreadableTime, RecordMessage.unreadableTime(field.name), at: location)
            return Record.noTime
        }
        func nonBlank(_ field: Field) -> UnsafeBufferPointer<UInt8>? {
            guard let bytes = value(field), !Normalization.isBlank(bytes) else { return nil }
            return bytes
        }

        var fields: FieldMask = []
        let nickname = nonBlank(.nickname)
        let avatar = nonBlank(.avatarURL)
        let phone = nonBlank(.phone)
        var phoneKey = TextRef.missing
        var e164: [UInt8]?
        if let phone {
            e164 = Normalization.phone(phone)
            if let e164 {
                phoneKey = e164.withUnsafeBufferPointer(buffer.store)
            } else {
                warn(.phoneNotNormalised, RecordMessage.phoneNotNormalised, at: location)
            }
        }
        let email = nonBlank(.email)
        var emailKey = TextRef.missing
        if let email {
            if let normalised = Normalization.email(email) {
                emailKey = normalised.withUnsafeBufferPointer(buffer.store)
            } else {
                warn(.emailNotNormalised, RecordMessage.emailNotNormalised, at: location)
            }
        }
        if nickname != nil { fields.insert(.nickname) }
        if avatar != nil { fields.insert(.avatarURL) }
        if phone != nil { fields.insert(.phone) }
        if email != nil { fields.insert(.email) }
        if let verified = value(.phoneVerified), Self.verifiedFlags.contains(where: { $0.elementsEqual(verified) }) {
            fields.insert(.phoneVerified)
        }

        // Payloads are bucketed by the openid's second byte (its first is almost always
        // `o`), which the records' canonical order follows within an app.
        let openid = value(.openid)
        spool.beginPayload(bucket: openid.map { $0.count > 1 ? Int($0[1]) : 0 } ?? 0)
        spool.appendField(nickname)
        spool.appendAvatar(avatar)
        if let e164 { spool.appendField(e164) } else { spool.appendField(phone) }
        spool.appendField(email)
        if attributes.members.isEmpty && !isPresent(.attributes) {
            spool.appendField(nil as [UInt8]?)
        } else {
            attributes.writeObject()
            spool.appendField(attributes.json)
        }
        let payload = try spool.endPayload()

        var source = Self.pending
        if let name = value(.source), !Normalization.isMissingID(name) {
            source = buffer.sourceID(String(decoding: name, as: UTF8.self))
        }
        var record = Record(
            app: app, platform: platform, source: source,
            openid: ref(.openid), unionid: ref(.unionid), legacyID: ref(.legacyID),
            createdAt: time(.createdAt), updatedAt: time(.updatedAt),
            file: fileIndex, ordinal: Int32(result.read - 1), line: Int32(start.line + 1),
            fields: fields, payload: payload)
        record.phoneKey = phoneKey
        record.emailKey = emailKey
        buffer.append(record)
        buffer.spans.append((start, end))
    }
}
