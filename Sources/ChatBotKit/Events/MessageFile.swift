/// A file attached to a message.
///
/// The URL is kept as text: the runtime never fetches it.
public struct MessageFile: Hashable, Sendable, Codable {
    /// The file's id, when the backend sent one.
    public var id: FileID?
    /// Where the backend serves the file.
    public var url: String

    public init(id: FileID?, url: String) {
        self.id = id
        self.url = url
    }

    enum CodingKeys: String, CodingKey {
        case id
        case url = "file"
    }
}
