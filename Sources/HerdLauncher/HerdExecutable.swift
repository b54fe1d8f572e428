import Foundation

/// Where the `herd` executable is.
public enum HerdExecutable {
    /// The running executable (for `herd up`, which starts copies of itself).
    public static func current() throws -> String {
        try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    }

    /// The `herd` built beside the running executable (for a test runner in the same build directory).
    public static func besideCurrent() -> String {
        let runner = (try? Self.current()) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: runner).deletingLastPathComponent().appendingPathComponent("herd").path
    }
}
