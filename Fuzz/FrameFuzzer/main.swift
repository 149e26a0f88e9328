// libFuzzer over what the backend (or a config file) can hand us: frame decoding and
// the reply-template renderer (see `FuzzInput`). Built only with CHATBOTS_FUZZ=1; the
// commands are in docs/RELIABILITY.md. The corpus in Fuzz/corpus is also replayed by
// `FuzzCorpusTests` in every `swift test`.

import ChatBotTesting
import Foundation

/// libFuzzer's driver, for a program with its own `main` (SwiftPM gives every
/// executable one).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    FuzzInput.run(Data(bytes: bytes, count: count))
    return 0
}

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runFuzzerDriver(&argc, &argv, fuzzOneInput))
