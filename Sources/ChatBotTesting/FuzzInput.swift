import ChatBotKit
import Foundation

/// One fuzzer input fed to what the backend or a config file can hand the runtime:
/// the first byte picks the target (0: a text frame, 1: a binary frame, 2: a reply
/// template, rendered with hostile values), the rest is the input. The libFuzzer
/// target (`Fuzz/FrameFuzzer`) and the corpus regression test share it.
public enum FuzzInput {
    private static let decoder = FrameDecoder()
    private static let placeholders: Set<String> = ["next_open", "next_open_date", "next_open_time", "time_zone"]

    /// Runs one input; what matters is that it returns (no crash, no hang).
    public static func run(_ data: Data) {
        guard let selector = data.first else { return }
        let input = data.dropFirst()
        switch selector % 3 {
        case 0:
            _ = decoder.decode(json: Data(input))
        case 1:
            _ = decoder.decode(binary: Data(input))
        default:
            let text = String(decoding: input, as: UTF8.self)
            if let template = try? MessageTemplate(text, placeholders: placeholders) {
                _ = template.render(["next_open": text, "time_zone": "{next_open}"])
            }
        }
    }
}
