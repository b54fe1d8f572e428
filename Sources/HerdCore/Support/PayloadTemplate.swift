extension PayloadSource {
    /// The payload of subtask `index`: the template with every `{index}` replaced, or the listed payload.
    ///
    /// For many subtasks, prefer a ``PayloadTemplate`` made once (the coordinator keeps one per job).
    public func payload(at index: UInt32) -> [UInt8] {
        switch self {
        case .list(let payloads): payloads[Int(index)]
        case .template(let template, _): PayloadTemplate(template).render(index)
        }
    }
}

/// A payload template split once at its `{index}` markers, so rendering a subtask's payload
/// costs one allocation and no scanning; a template without markers is shared, not copied.
public struct PayloadTemplate: Hashable, Sendable {
    /// The bytes between markers; `segments.count - 1` markers.
    private let segments: [[UInt8]]
    private let template: [UInt8]

    private static let marker: [UInt8] = Array("{index}".utf8)

    public init(_ template: [UInt8]) {
        self.template = template
        var segments: [[UInt8]] = []
        var start = 0
        var i = 0
        let marker = Self.marker
        while i + marker.count <= template.count {
            if template[i] == UInt8(ascii: "{"), template[i ..< (i + marker.count)].elementsEqual(marker) {
                segments.append(Array(template[start ..< i]))
                i += marker.count
                start = i
            } else {
                i += 1
            }
        }
        segments.append(Array(template[start...]))
        self.segments = segments
    }

    /// How many `{index}` markers the template has.
    var markerCount: Int { self.segments.count - 1 }

    /// The template with every `{index}` replaced by the decimal `index`.
    public func render(_ index: UInt32) -> [UInt8] {
        guard self.segments.count > 1 else { return self.template }
        let digits = Array(String(index).utf8)
        var out: [UInt8] = []
        out.reserveCapacity(self.template.count + (self.segments.count - 1) * digits.count)
        for (n, segment) in self.segments.enumerated() {
            if n > 0 { out.append(contentsOf: digits) }
            out.append(contentsOf: segment)
        }
        return out
    }
}
