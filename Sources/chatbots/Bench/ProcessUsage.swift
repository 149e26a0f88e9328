import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// This process's CPU time and memory, from the kernel.
struct ProcessUsage {
    /// User plus system CPU time, in seconds.
    var cpuSeconds: Double
    /// The largest resident set so far, in bytes.
    var peakResidentBytes: Int

    static func now() -> ProcessUsage {
        var usage = rusage()
        #if canImport(Glibc)
            getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
            getrusage(RUSAGE_SELF, &usage)
        #endif
        let cpu =
            Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1_000_000
        #if canImport(Darwin)
            let peak = Int(usage.ru_maxrss)  // bytes on Darwin
        #else
            let peak = Int(usage.ru_maxrss) * 1_024  // kilobytes on Linux
        #endif
        return ProcessUsage(cpuSeconds: cpu, peakResidentBytes: peak)
    }

    /// The resident set now, in bytes; `nil` where `/proc` is not available.
    static func residentBytes() -> Int? {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

extension Int {
    /// Bytes as mebibytes, one decimal.
    var mebibytes: String {
        String(format: "%.1f MiB", Double(self) / 1_048_576)
    }
}
