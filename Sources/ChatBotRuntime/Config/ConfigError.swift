/// A configuration that cannot be used: names the file, the key and, where known, the
/// line.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public let file: String
    /// The key path, `server.url` or `bots[1].options.hours`; empty for the file as a whole.
    public let keyPath: String
    public let line: Int?
    public let message: String

    public init(file: String, keyPath: String, line: Int?, message: String) {
        self.file = file
        self.keyPath = keyPath
        self.line = line
        self.message = message
    }

    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        return keyPath.isEmpty ? "\(place): \(message)" : "\(place): \(keyPath): \(message)"
    }
}
