import ChatBotTesting
import Foundation
import Testing

/// Every input in `Fuzz/corpus` (the seeds, and what the fuzzer kept as interesting)
/// run again on each `swift test`: a crash the fuzzer once found stays fixed.
@Suite("The fuzz corpus, replayed", .timeLimit(.minutes(1)))
struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fuzz/corpus").standardized

    @Test func everyInputOfTheCorpusRunsToTheEnd() throws {
        let files = try FileManager.default.contentsOfDirectory(at: Self.corpus, includingPropertiesForKeys: nil)
        #expect(files.count >= 20, "the seeds are there")
        for file in files {
            FuzzInput.run(try Data(contentsOf: file))
        }
    }
}
