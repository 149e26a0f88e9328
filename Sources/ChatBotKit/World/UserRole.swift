/// What a user is to the runtime. Events do not say; the world model learns it from
/// `new_chat` (its user is the client), `assign_curator`, the configured roster, and
/// the curator directory where one is configured.
public enum UserRole: String, Hashable, Sendable, Codable {
    case client
    case curator
    /// The runtime's own account.
    case serviceAccount = "service_account"
}
