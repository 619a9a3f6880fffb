#include "daemon/runtime/route_state.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <string_view>

namespace visionwatch {

namespace {

constexpr std::int64_t absent = std::numeric_limits<std::int64_t>::min();
constexpr std::uint8_t success_bit = 1;
constexpr std::uint8_t silent_bit = 2;
/// The rest of a window byte holds the probe's shape (probe_shape_count fits in 4 bits).
constexpr unsigned shape_shift = 2;
static_assert(probe_shape_count <= 16);

std::int64_t pack(const std::optional<long long>& v) { return v ? *v : absent; }
std::optional<long long> unpack(std::int64_t v) {
  return v == absent ? std::nullopt : std::optional<long long>(v);
}

}  // namespace

/// A probe_result without its route name, its numbers in place and its three texts in one
/// allocation.
struct route_state::stored_result {
  std::int64_t started = 0;  ///< system_clock ticks
  std::uint64_t sequence = 0;
  std::uint64_t seed = 0;
  double latency = 0;
  double cost = 0;
  /// dns, connect, tls, send, ttfb, transfer, total, first_token (-1: none)
  std::array<double, 8> phases{};
  std::array<std::int64_t, 6> tokens{};  ///< prompt, completion, total, image, cached, baseline
  std::int64_t retry_after = absent;     ///< seconds
  std::uint32_t reason_size = 0;
  std::uint32_t expected_size = 0;
  std::uint32_t answer_size = 0;
  std::uint16_t http_status = 0;
  outcome result = outcome::ok;
  probe_note note = probe_note::none;
  challenge_kind kind = challenge_kind::digits;
  probe_shape shape = probe_shape::plain;
  bool custom = false;
  bool control = false;
  bool usage_missing = false;
  // NOLINTNEXTLINE(modernize-avoid-c-arrays): one block for three strings keeps a result small
  std::unique_ptr<char[]> text;  ///< reason, expected, answer excerpt; null when all empty

  static stored_result from(const probe_result& r) {
    stored_result x;
    x.started = r.started_at.time_since_epoch().count();
    x.sequence = r.sequence;
    x.seed = r.seed;
    x.latency = r.latency_seconds;
    x.cost = r.cost_usd;
    const auto& p = r.phases;
    x.phases = {
        p.dns, p.connect, p.tls, p.send, p.ttfb, p.transfer, p.total, p.first_token.value_or(-1)};
    const auto& t = r.tokens;
    x.tokens = {pack(t.prompt_tokens),
                pack(t.completion_tokens),
                pack(t.total_tokens),
                pack(t.image_tokens),
                pack(t.cached_tokens),
                pack(r.baseline_prompt_tokens)};
    if (r.retry_after) {
      x.retry_after = r.retry_after->count();
    }
    x.http_status = static_cast<std::uint16_t>(std::min(r.http_status, 65535U));
    x.result = r.result;
    x.note = r.note;
    x.kind = r.kind;
    x.shape = r.shape;
    x.custom = r.custom;
    x.control = r.control;
    x.usage_missing = r.usage_missing;
    x.reason_size = static_cast<std::uint32_t>(r.reason.size());
    x.expected_size = static_cast<std::uint32_t>(r.expected.size());
    x.answer_size = static_cast<std::uint32_t>(r.answer_excerpt.size());
    const std::size_t total = r.reason.size() + r.expected.size() + r.answer_excerpt.size();
    if (total > 0) {
      // NOLINTNEXTLINE(modernize-avoid-c-arrays): one block for the three strings, as above
      x.text = std::make_unique_for_overwrite<char[]>(total);
      char* out = x.text.get();
      for (const std::string* s : {&r.reason, &r.expected, &r.answer_excerpt}) {
        if (!s->empty()) {
          // NOLINTNEXTLINE(bugprone-not-null-terminated-result): sizes are stored, no terminator
          std::memcpy(out, s->data(), s->size());
          out += s->size();
        }
      }
    }
    return x;
  }

  [[nodiscard]] probe_result to_result() const {
    probe_result r;
    r.started_at =
        std::chrono::system_clock::time_point(std::chrono::system_clock::duration(started));
    r.sequence = sequence;
    r.seed = seed;
    r.latency_seconds = latency;
    r.cost_usd = cost;
    r.phases = {phases[0],
                phases[1],
                phases[2],
                phases[3],
                phases[4],
                phases[5],
                phases[6],
                phases[7] >= 0 ? std::optional<double>(phases[7]) : std::nullopt};
    r.tokens.prompt_tokens = unpack(tokens[0]);
    r.tokens.completion_tokens = unpack(tokens[1]);
    r.tokens.total_tokens = unpack(tokens[2]);
    r.tokens.image_tokens = unpack(tokens[3]);
    r.tokens.cached_tokens = unpack(tokens[4]);
    r.baseline_prompt_tokens = unpack(tokens[5]);
    if (retry_after != absent) {
      r.retry_after = std::chrono::seconds(retry_after);
    }
    r.http_status = http_status;
    r.result = result;
    r.note = note;
    r.kind = kind;
    r.shape = shape;
    r.custom = custom;
    r.control = control;
    r.usage_missing = usage_missing;
    const char* in = text.get();
    const auto take = [&in](std::uint32_t size) {
      std::string s(in, in + size);  // size 0 with a null `in` is an empty range
      in += size;
      return s;
    };
    if (in != nullptr) {
      r.reason = take(reason_size);
      r.expected = take(expected_size);
      r.answer_excerpt = take(answer_size);
    }
    return r;
  }
};

namespace {

/// Probes in the window with `bit` set.
std::size_t count_flag(const ring_window<std::uint8_t>& w, std::uint8_t bit) {
  std::size_t n = 0;
  w.for_each([&n, bit](std::uint8_t f) { n += (f & bit) != 0 ? 1U : 0U; });
  return n;
}

}  // namespace

route_state::route_state(std::size_t window, std::size_t recent)
    : latency_(window),
      cost_(window),
      flags_(window),
      recent_limit_(std::max<std::size_t>(recent, 1)) {}

route_state::~route_state() = default;
route_state::route_state(route_state&&) noexcept = default;
route_state& route_state::operator=(route_state&&) noexcept = default;

void route_state::record(const probe_result& r) {
  if (!is_transport_error(r.result)) {
    latency_.add(r.latency_seconds);
  }
  if (r.phases.first_token) {
    first_token_.add(*r.phases.first_token);
  }
  flags_.add(static_cast<std::uint8_t>((r.success() ? success_bit : 0U) |
                                       (r.silent() ? silent_bit : 0U) |
                                       (static_cast<unsigned>(r.shape) << shape_shift)));
  const auto seen = std::find_if(
      latest_.begin(), latest_.end(), [&r](const auto& l) { return l.first == r.shape; });
  if (seen != latest_.end()) {
    seen->second = r.result;
  } else {
    latest_.emplace_back(r.shape, r.result);
  }
  cost_.add(r.cost_usd);
  if (recent_.size() < recent_limit_) {
    if (recent_.size() == recent_.capacity()) {
      // Doubling up to the limit, not past it: 20 results in a capacity of 32 would waste
      // 2.3 KiB per route once the ring is full.
      recent_.reserve(std::min(std::max<std::size_t>(2 * recent_.capacity(), 1), recent_limit_));
    }
    recent_.push_back(stored_result::from(r));
  } else {
    recent_[recent_next_] = stored_result::from(r);
  }
  recent_next_ = (recent_next_ + 1) % recent_limit_;
  recent_size_ = std::min(recent_size_ + 1, recent_limit_);
}

std::vector<probe_result> route_state::recent() const {
  std::vector<probe_result> out;
  out.reserve(recent_size_);
  for (std::size_t i = 1; i <= recent_size_; ++i) {
    out.push_back(recent_[(recent_next_ + recent_limit_ - i) % recent_limit_].to_result());
  }
  return out;
}

std::optional<probe_result> route_state::last() const {
  if (recent_size_ == 0) {
    return std::nullopt;
  }
  return recent_[(recent_next_ + recent_limit_ - 1) % recent_limit_].to_result();
}

std::optional<probe_result> route_state::last_control() const {
  if (!last_control_) {
    return std::nullopt;
  }
  return last_control_->to_result();
}

bool route_state::record_baseline(const probe_result& r) {
  if (last_control_) {
    *last_control_ = stored_result::from(r);
  } else {
    last_control_ = std::make_unique<stored_result>(stored_result::from(r));
  }
  auto& b = baselines_[static_cast<std::size_t>(form_of(r.shape))];
  b.attempted = r.started_at;
  if (!r.success() || !r.tokens.prompt_tokens) {
    return false;
  }
  const bool changed = b.tokens != r.tokens.prompt_tokens;
  b.tokens = r.tokens.prompt_tokens;
  b.at = r.started_at;
  return changed;
}

void route_state::restore_baseline(long long tokens,
                                   std::chrono::system_clock::time_point at,
                                   request_form form) {
  baselines_[static_cast<std::size_t>(form)] = {tokens, at, at};
}

probe_shape route_state::next_shape(std::span<const probe_shape> shapes, bool retry) {
  if (shapes.empty()) {
    return probe_shape::plain;
  }
  if (retry && recent_size_ > 0) {
    const auto& last = recent_[(recent_next_ + recent_limit_ - 1) % recent_limit_];
    if (last.result != outcome::ok &&
        std::find(shapes.begin(), shapes.end(), last.shape) != shapes.end()) {
      return last.shape;
    }
  }
  return shapes[rotation_++ % shapes.size()];
}

request_form route_state::control_form(std::span<const request_form> forms) const {
  const learned* oldest = nullptr;
  request_form pick = forms.empty() ? request_form::plain : forms.front();
  for (const auto f : forms) {
    const auto& b = baselines_[static_cast<std::size_t>(f)];
    if (!b.attempted) {
      return f;
    }
    if (oldest == nullptr || *b.attempted < *oldest->attempted) {
      oldest = &b;
      pick = f;
    }
  }
  return pick;
}

bool route_state::unmeasured(std::span<const request_form> forms) const {
  return std::any_of(forms.begin(), forms.end(), [this](request_form f) {
    return !baselines_[static_cast<std::size_t>(f)].attempted;
  });
}

std::vector<shape_outcome> route_state::latest(std::span<const probe_shape> shapes) const {
  std::vector<shape_outcome> out;
  out.reserve(shapes.size());
  for (const auto s : shapes) {
    shape_outcome o{s, std::nullopt};
    for (const auto& [shape, result] : latest_) {
      if (shape == s) {
        o.last = result;
      }
    }
    out.push_back(o);
  }
  return out;
}

std::pair<std::size_t, std::size_t> route_state::shape_window(probe_shape shape) const {
  std::size_t probes = 0;
  std::size_t successes = 0;
  flags_.for_each([&](std::uint8_t f) {
    if ((f >> shape_shift) == static_cast<unsigned>(shape)) {
      ++probes;
      successes += (f & success_bit) != 0 ? 1U : 0U;
    }
  });
  return {probes, successes};
}

void route_state::set_window(std::size_t window) {
  latency_.set_capacity(window);
  cost_.set_capacity(window);
  first_token_.set_capacity(window);
  flags_.set_capacity(window);
}

window_figures route_state::figures() const {
  window_figures f;
  f.probes = flags_.size();
  if (f.probes > 0) {
    const auto successes = count_flag(flags_, success_bit);
    f.success_ratio = static_cast<double>(successes) / static_cast<double>(f.probes);
    if (successes > 0) {
      f.cost_per_success_usd = cost_.sum() / static_cast<double>(successes);
    }
  }
  if (!latency_.empty()) {  // one sort for all four (this runs on every probe)
    const auto sorted = latency_.sorted();
    f.latency_p50 = quantile_of_sorted(sorted, 0.5);
    f.latency_p90 = quantile_of_sorted(sorted, 0.9);
    f.latency_p99 = quantile_of_sorted(sorted, 0.99);
    f.latency_max = sorted.back();
  }
  if (!first_token_.empty()) {
    f.first_token_p90 = quantile_of_sorted(first_token_.sorted(), 0.9);
  }
  return f;
}

std::uint64_t route_state::silent_in_window() const { return count_flag(flags_, silent_bit); }

std::optional<route_state::last_brief> route_state::last_probe_brief() const noexcept {
  if (recent_size_ == 0) {
    return std::nullopt;
  }
  const auto& r = recent_[(recent_next_ + recent_limit_ - 1) % recent_limit_];
  return last_brief{
      r.result,
      std::chrono::system_clock::time_point(std::chrono::system_clock::duration(r.started)),
      r.latency};
}

}  // namespace visionwatch
