import ChatBotKit
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension Response {
    /// A JSON answer.
    static func json(_ value: some Encodable, status: Int = 200, headers: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // With milliseconds: a script times the record's requests against each other.
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true)))
        }
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(
            status: HTTPResponse.Status(code: status),
            headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    /// A Django REST framework style error: `{"detail": "..."}`.
    static func detail(_ text: String, status: Int, headers: HTTPFields = [:]) -> Response {
        json(["detail": text], status: status, headers: headers)
    }
}

extension Request {
    /// The body, up to `limit` bytes.
    func collectBody(limit: Int = 1 << 20) async throws -> ByteBuffer {
        try await body.collect(upTo: limit)
    }

    /// The bearer token of the `Authorization` header.
    var bearerToken: String? {
        guard let value = headers[.authorization], value.lowercased().hasPrefix("bearer ") else { return nil }
        return String(value.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
    }
}

extension ByteBuffer {
    /// The buffer read as JSON; `.null` when it is empty or not JSON.
    var jsonValue: JSONValue {
        guard readableBytes > 0, let value = try? JSONDecoder().decode(JSONValue.self, from: Data(readableBytesView)) else {
            return .null
        }
        return value
    }
}

/// Reads `application/x-www-form-urlencoded` bodies.
enum FormBody {
    /// The fields of a form body; a repeated field keeps its first value.
    static func parse(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decode(parts[0])
            if fields[name] == nil {
                fields[name] = parts.count > 1 ? decode(parts[1]) : ""
            }
        }
        return fields
    }

    private static func decode(_ part: Substring) -> String {
        let spaced = part.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
