#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few file-system calls the journal needs besides SQLite's own.
enum FileSystem {
    /// Creates every missing directory above `path` (like `mkdir -p "$(dirname path)"`).
    ///
    /// - Returns: `nil`, or a sentence naming the directory that could not be created and why.
    static func createParentDirectories(of path: String) -> String? {
        var components = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        components.removeLast()  // the file itself
        var prefix = ""
        for (index, component) in components.enumerated() {
            prefix += index == 0 ? component : "/" + component
            if prefix.isEmpty || component.isEmpty || component == "." { continue }
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                return "cannot create directory \(prefix): \(String(cString: strerror(errno)))"
            }
        }
        return nil
    }

    /// The size of the file at `path` in bytes, 0 if there is none.
    static func size(of path: String) -> Int64 {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        return Int64(info.st_size)
    }
}
