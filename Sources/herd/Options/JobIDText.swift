import ArgumentParser
import HerdCore

/// A job id as `herd submit` prints it (`j12`) or bare (`12`): the `JOB` argument of `herd cancel`
/// and `herd results`.
enum JobIDText {
    /// The id `text` names, or `nil`.
    static func parse(_ text: String) -> JobID? {
        UInt64(text.hasPrefix("j") ? String(text.dropFirst()) : text).map(JobID.init)
    }

    /// Refuses what is not a job id, saying what one looks like.
    static func validate(_ text: String) throws {
        if self.parse(text) == nil { throw ValidationError("JOB must be a job id like j12 or 12, got '\(text)'") }
    }
}
