import ChatBotRuntime
import Foundation

/// One scrape of a Prometheus text page, read back into samples: name, labels, value.
struct MetricsPage: Sendable {
    struct Sample: Sendable {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    let text: String
    let samples: [Sample]

    init(_ text: String) {
        self.text = text
        samples = text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                return nil
            }
            let series = line[..<space]
            guard let open = series.firstIndex(of: "{") else {
                return Sample(name: String(series), labels: [:], value: value)
            }
            let inside = series[series.index(after: open)..<(series.lastIndex(of: "}") ?? series.endIndex)]
            var labels: [String: String] = [:]
            for pair in inside.split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                labels[String(parts[0])] = String(parts[1]).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
            return Sample(name: String(series[..<open]), labels: labels, value: value)
        }
    }

    /// The value of the series with this name whose labels include `labels`, summed
    /// over the series that match; `nil` when none does.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matching = samples.filter { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }
        return matching.isEmpty ? nil : matching.reduce(0) { $0 + $1.value }
    }
}

/// A GET against the runtime's monitoring endpoint.
func monitoringGet(port: Int, _ path: String, timeout: Duration = .seconds(30)) async throws -> IncomingResponse {
    try await AsyncHTTPTransport(timeout: timeout).perform(OutgoingRequest(method: "GET", url: "http://127.0.0.1:\(port)\(path)"))
}

/// Scrapes `/metrics`.
func scrapeMetrics(port: Int) async throws -> MetricsPage {
    MetricsPage(String(decoding: try await monitoringGet(port: port, "/metrics").body, as: UTF8.self))
}
