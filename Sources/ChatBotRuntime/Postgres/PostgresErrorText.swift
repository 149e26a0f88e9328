import PostgresNIO

/// What went wrong with the database, in words a person can act on. PostgresNIO's
/// errors describe themselves as a generic line on purpose (a query may hold secrets);
/// this takes what is safe from them: the error's kind, the server's message and
/// SQLSTATE, and the connection error underneath. Never a query's values, never the
/// password.
enum PostgresErrorText {
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            var parts: [String] = []
            if let message = error.serverInfo?[.message] {
                let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                parts.append(message + state)
            } else {
                parts.append(error.code.description)
            }
            if let underlying = error.underlying { parts.append(describe(underlying)) }
            return parts.joined(separator: ": ")
        }
        if let error = error as? PostgresDecodingError {
            return "a column could not be read (\(error.code), column \(error.columnName), type \(error.postgresType))"
        }
        if error is DeadlineExceeded { return "no answer in time" }
        return "\(error)"
    }
}
