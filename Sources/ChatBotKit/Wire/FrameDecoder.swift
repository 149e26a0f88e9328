import Foundation

/// Turns WebSocket frames into ``ChatEvent``s, tolerantly.
///
/// Every frame yields a value: an event, or a ``FrameDecodingFailure`` that says why
/// not. Nothing it is given can end the stream.
///
/// ```swift
/// let decoder = FrameDecoder()
/// switch decoder.decode(text: frame) {
/// case .success(let event): handle(event)
/// case .failure(let failure): logger.warning("\(failure)")
/// }
/// ```
public struct FrameDecoder: Sendable {
    /// Frames larger than this many bytes are refused without being parsed.
    public let maxFrameBytes: Int
    /// The zone in which `created_at` values without a zone are read.
    public let naiveTimeZone: TimeZone
    private let decoder: JSONDecoder

    /// The default frame limit: 1 MiB, the size past which the backend's own server
    /// drops a connection.
    public static let defaultMaxFrameBytes = 1 << 20

    public init(maxFrameBytes: Int = FrameDecoder.defaultMaxFrameBytes, naiveTimeZone: TimeZone = .gmt) {
        self.maxFrameBytes = maxFrameBytes
        self.naiveTimeZone = naiveTimeZone
        let decoder = JSONDecoder()
        decoder.userInfo[.naiveTimeZone] = naiveTimeZone
        self.decoder = decoder
    }

    /// Decodes a text frame.
    public func decode(text: String) -> Result<ChatEvent, FrameDecodingFailure> {
        decode(json: Data(text.utf8))
    }

    /// Decodes a text frame given as its UTF-8 bytes.
    public func decode(json: Data) -> Result<ChatEvent, FrameDecodingFailure> {
        guard json.count <= maxFrameBytes else {
            return .failure(failure(.tooLarge, "the frame is \(json.count) bytes, over the limit of \(maxFrameBytes)", json))
        }
        do {
            return .success(try decoder.decode(ChatEvent.self, from: json))
        } catch var failure as FrameDecodingFailure {
            failure.framePrefix = Self.prefix(of: json)
            return .failure(failure)
        } catch {
            return .failure(failure(.notJSON, "not valid JSON", json))
        }
    }

    /// A binary frame: always a failure, since the backend speaks JSON text frames.
    public func decode(binary: Data) -> Result<ChatEvent, FrameDecodingFailure> {
        .failure(failure(.binaryFrame, "a binary frame (\(binary.count) bytes); only JSON text frames are expected", binary))
    }

    private func failure(_ kind: FrameDecodingFailure.Kind, _ reason: String, _ frame: Data) -> FrameDecodingFailure {
        FrameDecodingFailure(kind, reason: reason, framePrefix: Self.prefix(of: frame))
    }

    private static func prefix(of frame: Data) -> String {
        let head = frame.prefix(FrameDecodingFailure.prefixLength)
        let text = String(decoding: head, as: UTF8.self)
        return frame.count > head.count ? text + "…" : text
    }
}
