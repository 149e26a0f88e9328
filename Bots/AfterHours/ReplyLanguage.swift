/// Picks the reply's language from the client's text by its script: a text mostly in
/// Cyrillic letters gets a reply in a configured Cyrillic-script language, one mostly
/// in Latin letters a Latin-script one; otherwise the default.
///
/// A guess by alphabet, not language identification: it tells Russian from English,
/// not Russian from Ukrainian. The default language wins whenever its script fits.
struct ReplyLanguage {
    enum Script: Hashable {
        case cyrillic, latin
    }

    /// Languages written in Cyrillic; every other code is taken as Latin-script.
    static let cyrillicLanguages: Set<String> = ["ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "tg", "mn"]

    let available: Set<String>
    let defaultLanguage: String

    func language(for text: String?) -> String {
        guard let text, let script = Self.dominantScript(of: text) else { return defaultLanguage }
        if Self.script(ofLanguage: defaultLanguage) == script { return defaultLanguage }
        return available.sorted().first { Self.script(ofLanguage: $0) == script } ?? defaultLanguage
    }

    static func script(ofLanguage code: String) -> Script {
        let base = code.lowercased().split(whereSeparator: { $0 == "-" || $0 == "_" }).first.map(String.init) ?? code
        return cyrillicLanguages.contains(base) ? .cyrillic : .latin
    }

    /// The script most of the text's letters are in; `nil` if it has none of either.
    static func dominantScript(of text: String) -> Script? {
        var cyrillic = 0
        var latin = 0
        for scalar in text.unicodeScalars where scalar.properties.isAlphabetic {
            switch scalar.value {
            case 0x0400...0x04FF, 0x0500...0x052F: cyrillic += 1
            case 0x0041...0x005A, 0x0061...0x007A, 0x00C0...0x024F: latin += 1
            default: break
            }
        }
        guard cyrillic + latin > 0 else { return nil }
        return cyrillic > latin ? .cyrillic : .latin
    }
}
