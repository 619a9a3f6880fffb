#pragma once
/// Counts this process's heap allocations through operator new (every thread): the benchmarks
/// that link bench/alloc_counter.cpp replace the global operator new and delete with a counting
/// pair over malloc and free. Benchmarks only: the daemon and the tests keep the standard ones.
/// Allocations made with malloc directly (C libraries) are not counted.

#include <cstdint>

namespace visionwatch::bench {

/// Calls to operator new (any form) so far.
std::uint64_t allocations() noexcept;

}  // namespace visionwatch::bench
