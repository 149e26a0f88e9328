/// A coding key for any string: used to list every key a mapping actually has.
public struct AnyCodingKey: CodingKey, Hashable, Sendable {
    public let stringValue: String
    public let intValue: Int?

    public init(stringValue: String) {
        self.stringValue = stringValue
        intValue = nil
    }

    public init(_ stringValue: String) {
        self.init(stringValue: stringValue)
    }

    public init(intValue: Int) {
        stringValue = "\(intValue)"
        self.intValue = intValue
    }
}
