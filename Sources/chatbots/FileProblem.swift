import ArgumentParser
import Foundation

/// A problem with a file the command was pointed at (the configuration, a recording):
/// printed as `error: …` alone, without the usage lines ArgumentParser adds to a
/// `ValidationError` (the command line was right; the file was not), exit status 2.
func fileProblem(_ problem: Any) -> ExitCode {
    FileHandle.standardError.write(Data("error: \(problem)\n".utf8))
    return ExitCode(2)
}

/// Says which `${VAR}`s a command that sends nothing went on without.
func noteLeftOut(_ variables: [String], by command: String) {
    guard !variables.isEmpty else { return }
    let names = variables.map { "$\($0)" }.joined(separator: ", ")
    FileHandle.standardError.write(
        Data(
            "note: \(names) \(variables.count == 1 ? "is" : "are") not set; \(command) sends nothing, so it went on without \(variables.count == 1 ? "it" : "them") (`run` needs them)\n"
                .utf8
        ))
}
