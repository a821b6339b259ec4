import Testing
import YAMLAllocation
#if canImport(Glibc)
import Glibc
#endif

@Suite struct YAMLAllocationTests {
    /// libyaml's blocks come from the free lists only when libyaml was proved at load to
    /// call every allocation function of ours; never under AddressSanitizer, which must
    /// see libyaml's memory as glibc gives it.
    @Test func theFreeListsAreOnExactlyWhenProvedAndNotSanitized() {
        let isSanitized = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__asan_init") != nil
        #expect(yaml_allocation_uses_free_lists() == (isSanitized ? 0 : 1))
    }
}
