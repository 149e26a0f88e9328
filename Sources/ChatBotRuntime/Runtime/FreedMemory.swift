#if canImport(Glibc)
    import Glibc
#endif

/// Hands the memory freed after loading the store back to the system.
///
/// Loading a big store builds the world twice for a moment (the rows, then the model
/// made from them); glibc keeps what is freed for later mallocs, so without this a
/// runtime started on 100,000 chats would stay at its start-up peak for good.
/// (`malloc_trim` is glibc's and not in Swift's Glibc module: it is looked up by name.)
func returnFreedMemory() {
    #if canImport(Glibc)
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
    #endif
}
