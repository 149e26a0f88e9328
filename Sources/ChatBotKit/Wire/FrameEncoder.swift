import Foundation

/// Writes ``ChatEvent``s as the backend's JSON text frames.
///
/// The emulator uses it to speak the protocol; ``WireStyle`` picks the documented
/// shape or one of the variants a real backend sends.
public struct FrameEncoder: Sendable {
    /// The style frames are written in.
    public let style: WireStyle
    private let encoder: JSONEncoder

    public init(style: WireStyle = .documented) {
        self.style = style
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.userInfo[.wireStyle] = style
        self.encoder = encoder
    }

    /// The frame's bytes.
    public func encode(_ event: ChatEvent) throws -> Data {
        try encoder.encode(event)
    }

    /// The frame as text.
    public func encodeText(_ event: ChatEvent) throws -> String {
        String(decoding: try encoder.encode(event), as: UTF8.self)
    }
}
