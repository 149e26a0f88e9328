import Foundation

extension CodingUserInfoKey {
    /// The ``WireStyle`` an encoder writes events in.
    static let wireStyle = CodingUserInfoKey(rawValue: "chatbots.wireStyle")!
    /// The time zone in which a decoder reads timestamps that carry none.
    static let naiveTimeZone = CodingUserInfoKey(rawValue: "chatbots.naiveTimeZone")!
}

extension Encoder {
    var wireStyle: WireStyle {
        userInfo[.wireStyle] as? WireStyle ?? .documented
    }
}

extension Decoder {
    var naiveTimeZone: TimeZone {
        userInfo[.naiveTimeZone] as? TimeZone ?? .gmt
    }
}
