#if canImport(Glibc)
import Glibc

/// glibc's `malloc_trim`: gives the heap's free pages back to the system.
@_silgen_name("malloc_trim")
private func malloc_trim(_ pad: Int) -> Int32
#endif

/// Gives memory freed by the phases so far back to the system: what linking sorted and
/// grouped is gone once users exist, and the write phase should not carry it.
public func releaseFreedMemory() {
    #if canImport(Glibc)
    _ = malloc_trim(0)
    #endif
}
