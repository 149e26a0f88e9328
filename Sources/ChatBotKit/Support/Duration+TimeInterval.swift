import Foundation

extension Duration {
    /// The duration in seconds, for arithmetic with `Date`.
    public var timeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

extension Duration {
    /// A number of minutes: `.minutes(30)`.
    public static func minutes(_ minutes: Int) -> Duration {
        .seconds(Int64(minutes) * 60)
    }

    /// A number of hours: `.hours(2)`.
    public static func hours(_ hours: Int) -> Duration {
        .seconds(Int64(hours) * 3_600)
    }
}
