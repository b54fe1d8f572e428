extension Dictionary {
    /// Runs `body` on the value for `key` in place, or returns `nil` when there is none.
    ///
    /// Reading `dictionary[key]?.field` copies the whole value first (a retain of every reference
    /// it holds, then a release): for the coordinator's job and worker records, read on every
    /// dispatch and result, that copy was a tenth of its CPU (bench/profile). This goes through
    /// `values`' in-place accessor instead, so only what `body` returns is copied.
    @inline(__always)
    mutating func inPlace<Result>(_ key: Key, _ body: (inout Value) -> Result) -> Result? {
        guard let index = self.index(forKey: key) else { return nil }
        return body(&self.values[index])
    }
}
