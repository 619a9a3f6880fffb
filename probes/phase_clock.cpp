#include "probes/phase_clock.hpp"

namespace visionwatch {

void phase_clock::enter(phase p) {
  const auto now = clock_type::now();
  spent_[static_cast<std::size_t>(current_.value_or(p))] += now - mark_;
  mark_ = now;
  current_ = p;
}

void phase_clock::mark_first_token() {
  if (!first_token_) {
    first_token_ = clock_type::now() - start_;
  }
}

void phase_clock::finish(phase_timings& t) {
  const auto now = clock_type::now();
  if (current_) {
    spent_[static_cast<std::size_t>(*current_)] += now - mark_;
  }
  mark_ = now;
  auto s = [&](phase p) {
    return std::chrono::duration<double>(spent_[static_cast<std::size_t>(p)]).count();
  };
  t.dns = s(phase::dns);
  t.connect = s(phase::connect);
  t.tls = s(phase::tls);
  t.send = s(phase::send);
  t.ttfb = s(phase::ttfb);
  t.transfer = s(phase::transfer);
  // The first phase entered also took the time before it (URL parsing), so the phases cover
  // start → now exactly.
  clock_type::duration total{};
  for (auto d : spent_) {
    total += d;
  }
  t.total = std::chrono::duration<double>(total).count();
  if (first_token_) {
    t.first_token = std::chrono::duration<double>(*first_token_).count();
  }
}

}  // namespace visionwatch
