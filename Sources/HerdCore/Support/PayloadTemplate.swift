extension PayloadSource {
    /// The payload of subtask `index`: the template with every `{index}` replaced, or the listed payload.
    public func payload(at index: UInt32) -> [UInt8] {
        switch self {
        case .list(let payloads):
            return payloads[Int(index)]
        case .template(let template, _):
            return PayloadSource.expand(template, index: index)
        }
    }

    private static let marker: [UInt8] = Array("{index}".utf8)

    /// Replaces every `{index}` in `template` with the decimal `index`.
    static func expand(_ template: [UInt8], index: UInt32) -> [UInt8] {
        let marker = PayloadSource.marker
        guard template.count >= marker.count, template.contains(UInt8(ascii: "{")) else { return template }
        let digits = Array(String(index).utf8)
        var out: [UInt8] = []
        out.reserveCapacity(template.count + 8)
        var i = 0
        while i < template.count {
            if template[i] == UInt8(ascii: "{"), i + marker.count <= template.count,
                template[i..<(i + marker.count)].elementsEqual(marker)
            {
                out.append(contentsOf: digits)
                i += marker.count
            } else {
                out.append(template[i])
                i += 1
            }
        }
        return out
    }
}
