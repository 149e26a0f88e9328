import Logging

extension Logger {
    /// A logger with the bootstrapped handler, at `level`: for commands that print their
    /// own report and want only the runtime's complaints.
    init(label: String, level: Logger.Level) {
        self.init(label: label)
        logLevel = level
    }
}
