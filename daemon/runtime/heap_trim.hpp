#pragma once
/// Gives the kernel back the heap memory the daemon freed. glibc's malloc returns memory only
/// from the top of the heap; pages freed below a live allocation stay in the process's RSS.
/// After a burst (10,000 hanging probes timing out, a scrape's buffers, the state file's JSON)
/// that is megabytes held for nothing, until malloc_trim() hands back every whole free page.
/// Call from the event-loop thread; elsewhere than glibc, both functions do nothing.

#include <cstddef>

namespace visionwatch {

/// Bytes malloc holds free below the top of its heaps (what trimming can give back, roughly).
std::size_t heap_free_bytes() noexcept;

/// Trims when more than `threshold` bytes are free below the top; returns whether it did.
bool trim_heap(std::size_t threshold) noexcept;

}  // namespace visionwatch
