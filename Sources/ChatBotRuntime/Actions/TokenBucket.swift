import ChatBotKit
import Foundation

/// A rate limit as a token bucket: `rate` tokens a second, at most `burst` saved up.
///
/// Time is passed in, never read, so the delivery's limits are tested on fixed dates.
struct TokenBucket: Sendable, Equatable {
    let rate: Double
    let burst: Double
    private var tokens: Double
    private var updated: Date

    /// A full bucket at `now`.
    init(_ limit: RateLimit, now: Date) {
        rate = limit.perSecond
        burst = Double(limit.burst)
        tokens = burst
        updated = now
    }

    /// A token short by less than this counts as whole: refilling at the moment
    /// ``nextToken(after:)`` named may fall a rounding error short of 1.
    private static let tolerance = 1e-9

    /// Takes one token if there is one at `now`.
    mutating func take(at now: Date) -> Bool {
        refill(to: now)
        guard tokens >= 1 - Self.tolerance else { return false }
        tokens = max(0, tokens - 1)
        return true
    }

    /// When the next token is there: `now` if ``take(at:)`` would succeed now, else a
    /// moment strictly after it.
    func nextToken(after now: Date) -> Date {
        var copy = self
        copy.refill(to: now)
        if copy.tokens >= 1 - Self.tolerance { return now }
        let moment = copy.updated.addingTimeInterval((1 - copy.tokens) / rate)
        return moment > now ? moment : now.addingTimeInterval(0.001)
    }

    /// Whether the bucket is full at `now`: then it remembers nothing a new one would not.
    func isFull(at now: Date) -> Bool {
        var copy = self
        copy.refill(to: now)
        return copy.tokens >= burst
    }

    /// Empties the bucket as of `moment` (the end of a pause the backend asked for):
    /// what waited drains at the rate from then on, not in one burst.
    mutating func empty(until moment: Date) {
        tokens = 0
        updated = max(updated, moment)
    }

    private mutating func refill(to now: Date) {
        guard now > updated else { return }
        tokens = min(burst, tokens + now.timeIntervalSince(updated) * rate)
        updated = now
    }
}

/// A rate a backend imposes: `count` per `period`, with at most `burst` at once. In a
/// config file, `20/s`, `30/min` or `600/h` (a burst of 1, unless set beside it).
public struct RateLimit: Sendable, Equatable, Decodable {
    public var count: Int
    public var period: Duration
    /// How many may go at once after a quiet spell; at least 1.
    public var burst: Int

    public init(count: Int, per period: Duration, burst: Int = 1) {
        self.count = count
        self.period = period
        self.burst = max(1, burst)
    }

    var perSecond: Double {
        Double(count) / period.timeInterval
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let limit = Self.parse(text, burst: nil) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "a rate is COUNT/s, COUNT/min or COUNT/h (such as 20/min), not \"\(text)\"")
        }
        self = limit
    }

    /// Reads `20/s`, `30/min`, `600/h` (also `second`, `minute`, `hour`); `nil` if the
    /// text is not one of those.
    static func parse(_ text: String, burst: Int?) -> RateLimit? {
        let parts = text.replacingOccurrences(of: " ", with: "").split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let count = Int(parts[0]), count > 0 else { return nil }
        let period: Duration
        switch parts[1] {
        case "s", "sec", "second": period = .seconds(1)
        case "m", "min", "minute": period = .seconds(60)
        case "h", "hour": period = .seconds(3_600)
        default: return nil
        }
        return RateLimit(count: count, per: period, burst: burst ?? 1)
    }
}
