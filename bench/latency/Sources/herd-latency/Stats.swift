import Foundation

enum Stats {
    /// Nearest-rank percentile of sorted samples (the same rule as bench/baseline/zmqbench.c and
    /// bench/run's `pooled`).
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        let index = min(max(Int((p * Double(sorted.count)).rounded(.up)) - 1, 0), sorted.count - 1)
        return sorted[index]
    }

    /// Appends samples (one per line, 1 decimal) to a file, creating it if needed.
    static func appendSamples(_ samples: [Double], to path: String) {
        let text = samples.map { String(format: "%.1f\n", $0) }.joined()
        Self.append(text, to: path)
    }

    static func append(_ text: String, to path: String) {
        guard
            let file = FileHandle(forWritingAtPath: path)
                ?? {
                    _ = FileManager.default.createFile(atPath: path, contents: nil)
                    return FileHandle(forWritingAtPath: path)
                }()
        else { fail("cannot write \(path)") }
        file.seekToEndOfFile()
        file.write(Data(text.utf8))
        file.closeFile()
    }

    /// p50, p99, mean and max of samples, as JSON fields `PREFIX_p50_us` ... (empty: nulls).
    static func summary(_ samples: [Double], prefix: String) -> [(String, String)] {
        guard !samples.isEmpty else {
            return ["p50", "p99", "mean", "max"].map { ("\(prefix)_\($0)_us", "null") }
        }
        let sorted = samples.sorted()
        let mean = sorted.reduce(0, +) / Double(sorted.count)
        return [
            ("\(prefix)_p50_us", Self.number(Self.percentile(sorted, 0.50))),
            ("\(prefix)_p99_us", Self.number(Self.percentile(sorted, 0.99))),
            ("\(prefix)_mean_us", Self.number(mean)),
            ("\(prefix)_max_us", Self.number(sorted.last!)),
        ]
    }

    static func number(_ value: Double) -> String { String(format: "%.1f", value) }

    /// A flat JSON object from ordered fields whose values are already JSON.
    static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }
}
