import Foundation

/// Writes a line to standard output and flushes it (readiness lines are read by other programs).
func printLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
