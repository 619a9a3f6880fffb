#include "daemon/runtime/heap_trim.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace visionwatch {

std::size_t heap_free_bytes() noexcept {
#if defined(__GLIBC__)
  const auto m = ::mallinfo2();
  // fordblks counts the top chunk too, which glibc trims by itself (keepcost is its size).
  return m.fordblks > m.keepcost ? m.fordblks - m.keepcost : 0;
#else
  return 0;
#endif
}

bool trim_heap(std::size_t threshold) noexcept {
#if defined(__GLIBC__)
  if (heap_free_bytes() <= threshold) {
    return false;
  }
  ::malloc_trim(0);
  return true;
#else
  (void)threshold;
  return false;
#endif
}

}  // namespace visionwatch
