import ChatBotKit
import Foundation

/// When to try a failed delivery again: exponential backoff with full jitter, capped,
/// and never sooner than the server's `Retry-After`.
public struct RetryPolicy: Sendable, Equatable {
    /// The first backoff ceiling.
    public var base: Duration
    /// The largest backoff ceiling.
    public var cap: Duration

    public init(base: Duration = .milliseconds(500), cap: Duration = .seconds(60)) {
        self.base = base
        self.cap = cap
    }

    /// The wait before attempt `attempt + 1` (attempts counted from 0), given the
    /// server's `Retry-After` header, if any.
    public func delay(afterAttempt attempt: Int, retryAfter: String?, now: Date, random: Double) -> TimeInterval {
        let baseSeconds = base.timeInterval
        let ceiling = min(cap.timeInterval, baseSeconds * pow(2, Double(min(attempt, 30))))
        let jittered = ceiling * min(max(random, 0), 1)
        guard let retryAfter, let asked = Self.parseRetryAfter(retryAfter, now: now) else { return jittered }
        return max(asked, jittered)
    }

    /// `Retry-After` as seconds from now: either delay-seconds or an HTTP date.
    static func parseRetryAfter(_ value: String, now: Date) -> TimeInterval? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds >= 0 {
            return seconds
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}

/// What an answer means for a delivery.
enum DeliveryVerdict: Equatable {
    case delivered
    /// Try again; `refreshToken` when the backend refused the token.
    case retry(refreshToken: Bool)
    case deadLetter

    /// PROTOCOL.md Part 3: 2xx is success; 408, 429 and 5xx are retried; 401 and 403
    /// are retried with a fresh token; other 4xx are permanent.
    init(status: Int) {
        switch status {
        case 200..<300: self = .delivered
        case 401, 403: self = .retry(refreshToken: true)
        case 408, 429, 500..<600: self = .retry(refreshToken: false)
        default: self = .deadLetter
        }
    }
}
