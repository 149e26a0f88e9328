import Benchmark
import ChatBotKit
import Foundation

/// Frames as the backend sends them: a realistic `new_message` (316 bytes), and one
/// of each other event, in the documented shape.
enum Frames {
    static let newMessage = Data(
        #"""
        {"event_type": "new_message", "data": {"id": "9182736", "sender": "client-48213", "chat_id": "771204", "text": "Здравствуйте! Заказ 48213 должен был прийти вчера, но трекинг не обновляется.", "message_type": "text", "created_at": "2026-11-25T09:41:07", "files": null}}
        """#.utf8)
    static let newChat = Data(#"{"event_type": "new_chat", "data": {"user_id": "client-48213", "chat_id": "771204", "chat_type": "order"}}"#.utf8)
    static let userStatus = Data(#"{"event_type": "user_status", "data": {"user_id": "curator-7", "status": "online"}}"#.utf8)
    static let readChatMessage = Data(
        #"{"event_type": "read_chat_message", "data": {"chat_id": "771204", "last_message_id": "9182736", "user_id": "curator-7"}}"#.utf8)
    static let assignCurator = Data(#"{"event_type": "assign_curator", "data": {"chat_id": "771204", "curator_id": "curator-7"}}"#.utf8)
    static let malformed = Data(#"{"event_type": "new_message", "data": {"id": 1, "sender": 2}}"#.utf8)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        maxDuration: .seconds(3),
        maxIterations: 1_000_000
    )
    let decoder = FrameDecoder()
    let cases: [(String, Data)] = [
        ("new_message (316 B)", Frames.newMessage),
        ("new_chat", Frames.newChat),
        ("user_status", Frames.userStatus),
        ("read_chat_message", Frames.readChatMessage),
        ("assign_curator", Frames.assignCurator),
        ("malformed (missing chat_id)", Frames.malformed),
    ]
    for (name, frame) in cases {
        Benchmark("decode \(name)") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(decoder.decode(json: frame))
            }
        }
    }
    // Yardsticks in the same run: Foundation's untyped parser on the same bytes, and a
    // typed decode of the envelope alone, so our figures read as ratios.
    Benchmark("reference: JSONSerialization new_message") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? JSONSerialization.jsonObject(with: Frames.newMessage))
        }
    }
    struct Envelope: Decodable {
        let eventType: String
        enum CodingKeys: String, CodingKey { case eventType = "event_type" }
    }
    let plain = JSONDecoder()
    Benchmark("reference: JSONDecoder envelope only, new_message") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? plain.decode(Envelope.self, from: Frames.newMessage))
        }
    }
    let message = try? decoder.decode(json: Frames.newMessage).get()
    let encoder = FrameEncoder()
    Benchmark("encode new_message") { benchmark in
        guard let message else { return }
        for _ in benchmark.scaledIterations {
            blackHole(try? encoder.encode(message))
        }
    }
}
