import ChatBotKit
import Foundation
import Yams

/// Reads the runtime's YAML file: `${ENV_VAR}` substitution, strict decoding, and
/// errors that name the file, the key path and the line.
public enum ConfigLoader {
    /// Loads and validates the file at `path`.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RuntimeConfiguration {
        try load(path: path, environment: environment, leftOut: nil)
    }

    /// - Parameter leftOut: When given, an unset `${VAR}` reads as ``unsetPlaceholder``
    ///   and its name is added here, instead of failing.
    private static func load(path: String, environment: [String: String], leftOut: UnsetVariables?) throws -> RuntimeConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, keyPath: "", line: nil, message: "cannot read the file (\(error.localizedDescription))")
        }
        // stat follows a symlink (a mounted Kubernetes secret is one): the mode that
        // matters is the file's own.
        var status = stat()
        let permissions = stat(path, &status) == 0 ? Int(status.st_mode) & 0o777 : nil
        return try parse(text, file: path, environment: environment, permissions: permissions, leftOut: leftOut)
    }

    /// Parses configuration text; `file` names it in errors.
    public static func parse(_ text: String, file: String, environment: [String: String]) throws -> RuntimeConfiguration {
        try parse(text, file: file, environment: environment, permissions: nil)
    }

    /// Loads the file for a command that connects nowhere and sends nothing (`replay`,
    /// `check`): a `${VAR}` that is not set stands for a placeholder (a URL that goes
    /// nowhere, `http://unset.invalid/`) instead of failing, and is named in `leftOut`,
    /// so trying a configuration needs no production secrets.
    public static func loadLeavingOutUnset(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> (configuration: RuntimeConfiguration, leftOut: [String]) {
        let leftOut = UnsetVariables()
        let configuration = try load(path: path, environment: environment, leftOut: leftOut)
        return (configuration, leftOut.names)
    }

    /// The names of the unset variables a load went on without, in the order met.
    final class UnsetVariables {
        var names: [String] = []
    }

    /// What an unset variable reads as in ``loadLeavingOutUnset(path:environment:)``:
    /// valid where a secret or a URL is expected, and never reachable.
    public static let unsetPlaceholder = "http://unset.invalid/"

    /// The keys whose values are secrets: written into a file others can read, they
    /// would be readable by others too.
    static let secretKeys: [(key: String, variable: String)] = [
        ("auth.keycloak.client_secret", "CHATBOTS_CLIENT_SECRET"), ("alerts.webhook_url", "CHATBOTS_ALERT_WEBHOOK"),
    ]

    /// - Parameter permissions: The file's mode, when it is a file: a secret written in
    ///   it literally (not as `${VAR}`) is refused unless only its owner can read it.
    static func parse(
        _ text: String, file: String, environment: [String: String], permissions: Int?, leftOut: UnsetVariables? = nil
    ) throws -> RuntimeConfiguration {
        let substituted = try substitute(text) { name, line in
            guard let value = environment[name] else {
                if let leftOut {
                    if !leftOut.names.contains(name) { leftOut.names.append(name) }
                    return unsetPlaceholder
                }
                throw ConfigError(file: file, keyPath: "", line: line, message: "environment variable \(name) is not set")
            }
            return value
        }
        let node: Node
        do {
            guard let composed = try Yams.compose(yaml: substituted) else {
                throw ConfigError(file: file, keyPath: "", line: nil, message: "the file is empty")
            }
            node = composed
        } catch let error as ConfigError {
            throw error
        } catch let error as YamlError {
            throw ConfigError(file: file, keyPath: "", line: Self.line(of: error), message: "not valid YAML: \(error)")
        }
        var lines: [String: Int] = [:]
        collectLines(node, path: "", into: &lines)
        if let permissions, permissions & 0o077 != 0 {
            try refuseLiteralSecrets(in: text, file: file, permissions: permissions)
        }
        var configuration: RuntimeConfiguration
        do {
            configuration = try YAMLDecoder().decode(Strictly<RuntimeConfiguration>.self, from: node).value
        } catch let error as DecodingError {
            let (path, message) = describe(error)
            throw ConfigError(file: file, keyPath: path, line: nearestLine(for: path, in: lines), message: message)
        }
        try validate(configuration, file: file, lines: lines)
        for index in configuration.bots.indices {
            let prefix = "bots[\(index)]"
            configuration.bots[index].lines = lines.filter { $0.key.hasPrefix(prefix) }
        }
        return configuration
    }

    /// Looks at the secret keys as written: each must be exactly one `${VAR}`, whatever
    /// the YAML style (plain, quoted, flow, block). The file is read with every `${VAR}`
    /// replaced by a marker, which is a plain scalar wherever the variable stood, so the
    /// file reads as it does substituted and a variable is what substitution takes for one.
    private static func refuseLiteralSecrets(in text: String, file: String, permissions: Int) throws {
        let marker = "chatbots-variable-"
        let marked = substitute(text) { _, _ in marker + "x" }
        guard let raw = try? Yams.compose(yaml: marked) else {
            throw ConfigError(
                file: file, keyPath: "", line: nil, message: "its secret keys cannot be read as written, to check that they are ${VAR}s")
        }
        for (key, variable) in secretKeys {
            var node: Node? = raw
            for part in key.split(separator: ".") { node = node?[String(part)] }
            guard let value = node?.string, value.trimmingCharacters(in: .whitespaces) != marker + "x" else { continue }
            throw ConfigError(
                file: file, keyPath: key, line: node?.mark?.line,
                message: "a secret is written in a file that others can read (mode \(String(permissions, radix: 8))): "
                    + "write it as ${\(variable)} and set that variable, or make the file owner-only (chmod 600 \(file))"
            )
        }
    }

    // MARK: - ${ENV_VAR}

    /// Replaces each `${NAME}` outside comments by `value(NAME, line)`.
    private static func substitute(_ text: String, value: (_ name: String, _ line: Int) throws -> String) rethrows -> String {
        var result = ""
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            // Comments are left alone: they may mention ${NAME} as documentation.
            let commentStart = Self.commentStart(in: line)
            var rest = line[..<commentStart]
            while let start = rest.range(of: "${") {
                guard let end = rest[start.upperBound...].firstIndex(of: "}") else { break }
                result += rest[..<start.lowerBound] + (try value(String(rest[start.upperBound..<end]), index + 1))
                rest = rest[rest.index(after: end)...]
            }
            result += rest + line[commentStart...] + "\n"
        }
        return result
    }

    /// Where a YAML comment starts on a line: a `#` at the start or after a space,
    /// outside quotes; the line's end if there is none.
    static func commentStart(in line: Substring) -> Substring.Index {
        var quote: Character?
        var previous: Character = " "
        for index in line.indices {
            let character = line[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'", " :[{,-".contains(previous) {
                // A quote opens a quoted scalar only where one can start: "We're" does not.
                quote = character
            } else if character == "#", previous == " " || previous == "\t" {
                return index
            }
            previous = character
        }
        return line.endIndex
    }

    // MARK: - Lines and paths

    private static func collectLines(_ node: Node, path: String, into lines: inout [String: Int]) {
        if let mark = node.mark { lines[path] = lines[path] ?? mark.line }
        switch node {
        case .mapping(let mapping):
            for (key, value) in mapping {
                let name = key.string ?? ""
                let child = path.isEmpty ? name : "\(path).\(name)"
                if let mark = key.mark { lines[child] = mark.line }
                collectLines(value, path: child, into: &lines)
            }
        case .sequence(let sequence):
            for (index, element) in sequence.enumerated() {
                collectLines(element, path: "\(path)[\(index)]", into: &lines)
            }
        default:
            break
        }
    }

    /// The line of `path`, or of the nearest key above it.
    static func nearestLine(for path: String, in lines: [String: Int]) -> Int? {
        var current = path
        while true {
            if let line = lines[current] { return line }
            guard let cut = current.lastIndex(where: { $0 == "." || $0 == "[" }) else { return lines[""] }
            current = String(current[..<cut])
        }
    }

    static func keyPath(_ keys: [any CodingKey]) -> String {
        var path = ""
        for key in keys {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path
    }

    /// The key path a decoding error points at, and what was wrong there, in words.
    static func describe(_ error: DecodingError) -> (String, String) {
        switch error {
        case .keyNotFound(let key, let context):
            return (keyPath(context.codingPath + [key]), "missing: this key is required")
        case .valueNotFound(let type, let context):
            return (keyPath(context.codingPath), "needs a value (\(type))")
        case .typeMismatch(let type, let context):
            let expected = context.debugDescription.hasPrefix("expected") ? context.debugDescription : "expected \(typeName(type))"
            return (keyPath(context.codingPath), expected)
        case .dataCorrupted(let context):
            return (keyPath(context.codingPath), context.debugDescription)
        @unknown default:
            return ("", "\(error)")
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "a whole number"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        default: "\(type)".contains("Array") ? "a list" : "a mapping"
        }
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            mark.line
        default:
            nil
        }
    }

    // MARK: - Checks across keys

    private static func validate(_ configuration: RuntimeConfiguration, file: String, lines: [String: Int]) throws {
        func fail(_ path: String, _ message: String) -> ConfigError {
            ConfigError(file: file, keyPath: path, line: nearestLine(for: path, in: lines), message: message)
        }
        do {
            try SocketURL.validate(configuration.server.url, allowsInsecureRemote: configuration.server.allowInsecure)
        } catch {
            throw fail("server.url", error.description)
        }
        guard URL(string: configuration.server.apiBaseURL)?.scheme.map({ ["http", "https"].contains($0) }) == true else {
            throw fail("server.api_base_url", "expected an http:// or https:// URL")
        }
        var names: Set<String> = []
        for (index, bot) in configuration.bots.enumerated() where !names.insert(bot.name).inserted {
            throw fail("bots[\(index)].name", "another bot is named \"\(bot.name)\"; give each a distinct name")
        }
    }
}
