import SwiftCompilerPlugin
import SwiftDiagnostics
import SwiftSyntax
import SwiftSyntaxBuilder
import SwiftSyntaxMacros

/// `@Configurable`: a settings struct read from a config file with its defaults
/// written once, on its properties.
///
/// It adds a memberwise `init` whose parameters default to the properties' initial
/// values, and an `init(from:)` that reads each property from its snake_case key:
/// required without an initial value (unless optional), kept at its initial value when
/// the key is absent. A property marked `@DefaultFrom("expression")` takes that
/// expression, over the properties declared above it, when its key is absent. Strings
/// are read with `decodeSetting`, which takes a whole number for a string (YAML reads
/// `id: 42` as a number). Unknown keys are refused by the decoding itself
/// (`StrictDecoding`), not here.
public struct ConfigurableMacro: MemberMacro, ExtensionMacro {
    struct Property {
        let name: String
        let type: TypeSyntax
        let initialValue: ExprSyntax?
        /// `@DefaultFrom("...")`: the default, computed from the properties above.
        let derivedDefault: String?

        var key: String { snakeCase(name) }

        /// The wrapped type of an optional, or nil.
        var optionalWrapped: TypeSyntax? {
            if let optional = type.as(OptionalTypeSyntax.self) { return optional.wrappedType }
            if let generic = type.as(IdentifierTypeSyntax.self), generic.name.text == "Optional",
                let argument = generic.genericArgumentClause?.arguments.first?.argument.as(TypeSyntax.self)
            {
                return argument
            }
            return nil
        }
    }

    public static func expansion(
        of node: AttributeSyntax, providingMembersOf declaration: some DeclGroupSyntax,
        conformingTo protocols: [TypeSyntax], in context: some MacroExpansionContext
    ) throws -> [DeclSyntax] {
        guard declaration.is(StructDeclSyntax.self) else {
            throw DiagnosticsError(diagnostics: [.init(node: node, message: Message("@Configurable applies to a struct"))])
        }
        let properties = try storedProperties(of: declaration)
        let access = declaration.modifiers.first { ["public", "package"].contains($0.name.text) }.map { $0.name.text + " " } ?? ""
        let parameters = properties.map { property in
            if property.derivedDefault != nil { return "\(property.name): \(property.type.trimmed)? = nil" }
            let defaultValue = property.initialValue.map { " = \($0.trimmed)" } ?? (property.optionalWrapped != nil ? " = nil" : "")
            return "\(property.name): \(property.type.trimmed)\(defaultValue)"
        }
        let assignments = properties.map { property in
            "self.\(property.name) = \(property.name)" + (property.derivedDefault.map { " ?? (\($0))" } ?? "")
        }
        let memberwise: DeclSyntax = """
            /// Settings as given; a parameter left out keeps its default.
            \(raw: access)init(\(raw: parameters.joined(separator: ", "))) {
                \(raw: assignments.joined(separator: "\n"))
            }
            """
        let reads = properties.map { property -> String in
            let key = "AnyCodingKey(\"\(property.key)\")"
            if let wrapped = property.optionalWrapped {
                return "self.\(property.name) = try container.decodeSettingIfPresent(\(wrapped.trimmed).self, forKey: \(key))"
                    + (property.initialValue.map { " ?? \($0.trimmed)" } ?? "")
            }
            if let derived = property.derivedDefault {
                // The properties above are set by now: the expression reads them.
                return "self.\(property.name) = try container.decodeSettingIfPresent(\(property.type.trimmed).self, forKey: \(key)) ?? (\(derived))"
            }
            if property.initialValue != nil {
                return
                    "if let value = try container.decodeSettingIfPresent(\(property.type.trimmed).self, forKey: \(key)) { self.\(property.name) = value }"
            }
            return "self.\(property.name) = try container.decodeSetting(\(property.type.trimmed).self, forKey: \(key))"
        }
        let decoding: DeclSyntax = """
            \(raw: access)init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: AnyCodingKey.self)
                \(raw: reads.joined(separator: "\n"))
                try validateConfiguration(self, at: decoder.codingPath)
            }
            """
        return [memberwise, decoding]
    }

    public static func expansion(
        of node: AttributeSyntax, attachedTo declaration: some DeclGroupSyntax, providingExtensionsOf type: some TypeSyntaxProtocol,
        conformingTo protocols: [TypeSyntax], in context: some MacroExpansionContext
    ) throws -> [ExtensionDeclSyntax] {
        guard declaration.is(StructDeclSyntax.self) else { return [] }
        return [try ExtensionDeclSyntax("extension \(type.trimmed): Decodable {}")]
    }

    /// The stored instance properties, in order; `let`s with an initial value are
    /// constants, not settings.
    static func storedProperties(of declaration: some DeclGroupSyntax) throws -> [Property] {
        var properties: [Property] = []
        for member in declaration.memberBlock.members {
            guard let variable = member.decl.as(VariableDeclSyntax.self),
                !variable.modifiers.contains(where: { ["static", "class", "lazy"].contains($0.name.text) })
            else { continue }
            let isLet = variable.bindingSpecifier.tokenKind == .keyword(.let)
            for binding in variable.bindings {
                guard binding.accessorBlock == nil, let name = binding.pattern.as(IdentifierPatternSyntax.self)?.identifier.text else { continue }
                if isLet, binding.initializer != nil { continue }
                guard let type = binding.typeAnnotation?.type else {
                    throw DiagnosticsError(diagnostics: [
                        .init(
                            node: binding, message: Message("@Configurable needs the type of '\(name)' written out: var \(name): Type = ...")
                        )
                    ])
                }
                if hasAttribute("NotConfigured", variable) {
                    guard binding.initializer != nil else {
                        throw DiagnosticsError(diagnostics: [
                            .init(node: binding, message: Message("'\(name)' is @NotConfigured, so it needs an initial value"))
                        ])
                    }
                    continue
                }
                let derived = try derivedDefault(of: variable)
                if derived != nil, binding.initializer != nil {
                    throw DiagnosticsError(diagnostics: [
                        .init(node: binding, message: Message("'\(name)' has both an initial value and @DefaultFrom: keep one"))
                    ])
                }
                let property = Property(name: name, type: type, initialValue: binding.initializer?.value, derivedDefault: derived)
                if derived != nil, property.optionalWrapped != nil {
                    // An absent key would read as nil, never as the expression.
                    throw DiagnosticsError(diagnostics: [
                        .init(node: binding, message: Message("'\(name)' is optional and @DefaultFrom: absent reads as nil, so make it non-optional"))
                    ])
                }
                properties.append(property)
            }
        }
        return properties
    }
}

/// Whether a property carries the attribute `name`.
func hasAttribute(_ name: String, _ variable: VariableDeclSyntax) -> Bool {
    variable.attributes.contains { $0.as(AttributeSyntax.self)?.attributeName.as(IdentifierTypeSyntax.self)?.name.text == name }
}

/// The expression of a property's `@DefaultFrom("...")`, if it has one.
func derivedDefault(of variable: VariableDeclSyntax) throws -> String? {
    for element in variable.attributes {
        guard let attribute = element.as(AttributeSyntax.self),
            attribute.attributeName.as(IdentifierTypeSyntax.self)?.name.text == "DefaultFrom"
        else { continue }
        guard let argument = attribute.arguments?.as(LabeledExprListSyntax.self)?.first?.expression.as(StringLiteralExprSyntax.self),
            argument.segments.count == 1, let text = argument.segments.first?.as(StringSegmentSyntax.self)?.content.text
        else {
            throw DiagnosticsError(diagnostics: [
                .init(node: attribute, message: Message("@DefaultFrom takes one plain string literal: @DefaultFrom(\"kind.rawValue\")"))
            ])
        }
        return text
    }
    return nil
}

/// `@DefaultFrom` and `@NotConfigured`: only marks that `@Configurable` reads; they add
/// nothing themselves.
public struct SettingMarkMacro: PeerMacro {
    public static func expansion(
        of node: AttributeSyntax, providingPeersOf declaration: some DeclSyntaxProtocol, in context: some MacroExpansionContext
    ) throws -> [DeclSyntax] {
        []
    }
}

/// `followUpAfter` → `follow_up_after`, `webhookURL` → `webhook_url`.
func snakeCase(_ name: String) -> String {
    var result = ""
    let characters = Array(name)
    for (index, character) in characters.enumerated() {
        if character.isUppercase, index > 0 {
            let previousIsLower = characters[index - 1].isLowercase || characters[index - 1].isNumber
            let nextIsLower = index + 1 < characters.count && characters[index + 1].isLowercase
            if previousIsLower || (characters[index - 1].isUppercase && nextIsLower) { result += "_" }
        }
        result += character.lowercased()
    }
    return result
}

struct Message: DiagnosticMessage {
    let message: String
    var diagnosticID: MessageID { MessageID(domain: "ChatBotMacros", id: "configurable") }
    var severity: DiagnosticSeverity { .error }

    init(_ message: String) {
        self.message = message
    }
}

@main
struct ChatBotMacrosPlugin: CompilerPlugin {
    let providingMacros: [any Macro.Type] = [ConfigurableMacro.self, SettingMarkMacro.self]
}
