// The counting global operator new and delete (bench/alloc_counter.hpp). Linked into the
// benchmarks that print "allocations per probe"; one relaxed atomic increment per allocation.
#include "bench/alloc_counter.hpp"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace {

std::atomic<std::uint64_t> count{0};

void* counted(std::size_t n) noexcept {
  count.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);  // NOLINT(cppcoreguidelines-no-malloc)
}

void* counted_aligned(std::size_t n, std::align_val_t al) noexcept {
  count.fetch_add(1, std::memory_order_relaxed);
  const auto a = static_cast<std::size_t>(al);
  // aligned_alloc wants a size that is a multiple of the alignment.
  return std::aligned_alloc(a, (n + a - 1) / a * a);  // NOLINT(cppcoreguidelines-no-malloc)
}

}  // namespace

std::uint64_t visionwatch::bench::allocations() noexcept {
  return count.load(std::memory_order_relaxed);
}

void* operator new(std::size_t n) {
  if (void* p = counted(n)) {
    return p;
  }
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  if (void* p = counted(n)) {
    return p;
  }
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t& /*tag*/) noexcept { return counted(n); }
void* operator new[](std::size_t n, const std::nothrow_t& /*tag*/) noexcept { return counted(n); }
void* operator new(std::size_t n, std::align_val_t al) {
  if (void* p = counted_aligned(n, al)) {
    return p;
  }
  throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t al) {
  if (void* p = counted_aligned(n, al)) {
    return p;
  }
  throw std::bad_alloc();
}
void* operator new(std::size_t n, std::align_val_t al, const std::nothrow_t& /*tag*/) noexcept {
  return counted_aligned(n, al);
}
void* operator new[](std::size_t n, std::align_val_t al, const std::nothrow_t& /*tag*/) noexcept {
  return counted_aligned(n, al);
}

// NOLINTBEGIN(cppcoreguidelines-no-malloc)
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t /*n*/) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t /*n*/) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t /*al*/) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t /*al*/) noexcept { std::free(p); }
void operator delete(void* p, std::size_t /*n*/, std::align_val_t /*al*/) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t /*n*/, std::align_val_t /*al*/) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t& /*tag*/) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t& /*tag*/) noexcept { std::free(p); }
// NOLINTEND(cppcoreguidelines-no-malloc)
