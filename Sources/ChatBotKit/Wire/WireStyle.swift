/// How an encoder spells events on the wire.
///
/// ``documented`` is the shape of the backend's document. The other options produce the
/// variants of PROTOCOL.md Part 2 that a real backend may send, so the emulator can make
/// clients meet them.
public struct WireStyle: Hashable, Sendable {
    /// How `files` is written.
    public enum FilesShape: Hashable, Sendable {
        /// One file as an object, none as `null`, several as an array.
        case documented
        /// Always an array, even of zero or one file.
        case array
    }

    /// Write ids that are decimal integers as JSON integers instead of strings.
    public var numericIDs: Bool
    /// How `files` is written.
    public var files: FilesShape
    /// How `created_at` is written.
    public var timestamps: WireTimestamp.Style
    /// Leave out `null` fields (`text`, `files`, `created_at`) instead of writing `null`.
    public var omitsNullFields: Bool

    public init(
        numericIDs: Bool = false,
        files: FilesShape = .documented,
        timestamps: WireTimestamp.Style = .naive,
        omitsNullFields: Bool = false
    ) {
        self.numericIDs = numericIDs
        self.files = files
        self.timestamps = timestamps
        self.omitsNullFields = omitsNullFields
    }

    /// The backend document's own shape: string ids, naive UTC timestamps.
    public static let documented = WireStyle()
}
