#include "daemon/runtime/route_state.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <climits>
#include <cmath>
#include <cstring>
#include <limits>
#include <string_view>

namespace visionwatch {

namespace {

constexpr std::uint8_t success_bit = 1;
constexpr std::uint8_t silent_bit = 2;
/// The rest of a window byte holds the probe's shape (probe_shape_count fits in 4 bits).
constexpr unsigned shape_shift = 2;
static_assert(probe_shape_count <= 16);

// Flags of a packed result (see pack()).
constexpr std::uint8_t has_cost = 1;
constexpr std::uint8_t has_retry_after = 2;
constexpr std::uint8_t is_custom = 4;
constexpr std::uint8_t is_control = 8;
constexpr std::uint8_t is_usage_missing = 16;
/// The answer excerpt is the expected answer (a right answer, most probes): stored once.
constexpr std::uint8_t excerpt_is_expected = 32;

/// Appends the parts of a packed result.
class packer {
 public:
  explicit packer(std::string& out) : out_(out) {}
  template <class T>
  void raw(T v) {
    std::array<char, sizeof(T)> bytes{};
    std::memcpy(bytes.data(), &v, sizeof(T));
    out_.append(bytes.data(), bytes.size());
  }
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      out_ += static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    out_ += static_cast<char>(v);
  }
  void signed_varint(std::int64_t v) {  // zigzag: small magnitudes, either sign, stay short
    varint((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
  }
  void text(std::string_view s) {
    varint(s.size());
    out_.append(s);
  }
  /// A time in seconds, losslessly: the probe's timings come from steady_clock nanoseconds
  /// (duration<double>(ns).count(), which is ns / 1e9), so one that is a whole number of
  /// nanoseconds whose quotient gives back the very same bits is stored as a varint of twice
  /// the nanoseconds (4 bytes up to 134 ms); anything else (-0.0, NaN, infinities, other
  /// fractions) as the marker 1 and the raw double.
  void seconds(double v) {
    if (v >= 0 && v < 1e9) {
      const auto ns = static_cast<std::uint64_t>(std::llround(v * 1e9));
      if (std::bit_cast<std::uint64_t>(static_cast<double>(ns) / 1e9) ==
          std::bit_cast<std::uint64_t>(v)) {
        varint(ns << 1);
        return;
      }
    }
    varint(1);
    raw(v);
  }

 private:
  std::string& out_;
};

/// Reads what packer wrote, in the same order. The bytes are ours: no bounds to check.
class unpacker {
 public:
  explicit unpacker(const char* at) : at_(at) {}
  template <class T>
  T raw() {
    T v{};
    std::memcpy(&v, at_, sizeof(T));
    at_ += sizeof(T);
    return v;
  }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (unsigned shift = 0;; shift += 7) {
      const auto byte = static_cast<std::uint8_t>(*at_++);
      v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        return v;
      }
    }
  }
  std::int64_t signed_varint() {
    const std::uint64_t v = varint();
    return static_cast<std::int64_t>((v >> 1) ^ (~(v & 1) + 1));
  }
  std::string text() {
    const auto size = static_cast<std::size_t>(varint());
    std::string s(at_, size);
    at_ += size;
    return s;
  }
  /// What packer::seconds() wrote.
  double seconds() {
    const std::uint64_t v = varint();
    if (v == 1) {
      return raw<double>();
    }
    return static_cast<double>(v >> 1) / 1e9;
  }
  [[nodiscard]] const char* at() const noexcept { return at_; }

 private:
  const char* at_;
};

/// Appends `r` (all but its route name) to `out`, prefixed by its length: numbers that are
/// usually 0 or absent behind presence bits, small integers as varints, the texts with their
/// lengths, the timings as whole nanoseconds when that is exact (packer::seconds()), a right
/// answer once. A healthy probe takes about 65 bytes (100 before those two), a sixth of a
/// probe_result, a third of the fixed-size record with a separate text block this replaced (20
/// per route: 21 MB at 10,000 routes once every ring is full).
void pack(const probe_result& r, std::vector<char>& out) {
  std::string body;
  body.reserve(128 + r.reason.size() + r.expected.size() + r.answer_excerpt.size());
  packer w(body);
  w.raw(static_cast<std::int64_t>(r.started_at.time_since_epoch().count()));
  w.varint(r.sequence);
  w.raw(r.seed);
  w.seconds(r.latency_seconds);
  const bool cost = std::bit_cast<std::uint64_t>(r.cost_usd) != 0;  // -0.0 too
  std::uint8_t flags = (cost ? has_cost : 0) |
                       (r.retry_after ? has_retry_after : 0) | (r.custom ? is_custom : 0) |
                       (r.control ? is_control : 0) | (r.usage_missing ? is_usage_missing : 0) |
                       (r.answer_excerpt == r.expected ? excerpt_is_expected : 0);
  w.raw(flags);
  if (cost) {
    w.raw(r.cost_usd);
  }
  if (r.retry_after) {
    w.signed_varint(r.retry_after->count());
  }
  // Phases: a bit per phase that is not +0.0 (-0.0 and NaN keep their bits), first_token's bit
  // for its presence.
  const auto& p = r.phases;
  const std::array<double, 7> slices = {p.dns, p.connect, p.tls, p.send, p.ttfb, p.transfer, p.total};
  std::uint8_t phase_mask = 0;
  for (std::size_t i = 0; i < slices.size(); ++i) {
    if (std::bit_cast<std::uint64_t>(slices[i]) != 0) {
      phase_mask |= static_cast<std::uint8_t>(1U << i);
    }
  }
  if (p.first_token) {
    phase_mask |= 0x80;
  }
  w.raw(phase_mask);
  for (std::size_t i = 0; i < slices.size(); ++i) {
    if ((phase_mask & (1U << i)) != 0) {
      w.seconds(slices[i]);
    }
  }
  if (p.first_token) {
    w.seconds(*p.first_token);
  }
  const auto& t = r.tokens;
  const std::array<const std::optional<long long>*, 6> tokens = {&t.prompt_tokens,
                                                                &t.completion_tokens,
                                                                &t.total_tokens,
                                                                &t.image_tokens,
                                                                &t.cached_tokens,
                                                                &r.baseline_prompt_tokens};
  std::uint8_t token_mask = 0;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i]->has_value()) {
      token_mask |= static_cast<std::uint8_t>(1U << i);
    }
  }
  w.raw(token_mask);
  for (const auto* v : tokens) {
    if (v->has_value()) {
      w.signed_varint(**v);
    }
  }
  w.varint(std::min(r.http_status, 65535U));
  w.raw(r.result);
  w.raw(r.note);
  w.raw(r.kind);
  w.raw(r.shape);
  w.text(r.reason);
  w.text(r.expected);
  if ((flags & excerpt_is_expected) == 0) {
    w.text(r.answer_excerpt);
  }
  std::string prefix;
  packer(prefix).varint(body.size());
  const std::size_t needed = out.size() + prefix.size() + body.size();
  if (needed > out.capacity()) {
    // A thirty-second to spare, not the doubling of push_back: a full ring of 20 results would
    // otherwise sit in up to twice its size. Once the ring is full a result replaces one of
    // about its size, so the spare (about 2 results' worth of size jitter) rarely runs out, and
    // when it does the copy is a kilobyte or two.
    out.reserve(needed + needed / 32);
  }
  out.insert(out.end(), prefix.begin(), prefix.end());
  out.insert(out.end(), body.begin(), body.end());
}

/// The packed result's head (pack()'s first fields): what last_probe_brief() reads alone.
void unpack_head(unpacker& u, probe_result& r) {
  r.started_at = std::chrono::system_clock::time_point(
      std::chrono::system_clock::duration(u.raw<std::int64_t>()));
  r.sequence = u.varint();
  r.seed = u.raw<std::uint64_t>();
  r.latency_seconds = u.seconds();
}

/// The packed result at `at` (its length prefix), and where the next one starts.
std::pair<probe_result, const char*> unpack(const char* at) {
  unpacker prefix(at);
  const auto size = prefix.varint();
  unpacker u(prefix.at());
  probe_result r;
  unpack_head(u, r);
  const auto flags = u.raw<std::uint8_t>();
  if ((flags & has_cost) != 0) {
    r.cost_usd = u.raw<double>();
  }
  if ((flags & has_retry_after) != 0) {
    r.retry_after = std::chrono::seconds(u.signed_varint());
  }
  r.custom = (flags & is_custom) != 0;
  r.control = (flags & is_control) != 0;
  r.usage_missing = (flags & is_usage_missing) != 0;
  const auto phase_mask = u.raw<std::uint8_t>();
  auto& p = r.phases;
  const std::array<double*, 7> slices = {
      &p.dns, &p.connect, &p.tls, &p.send, &p.ttfb, &p.transfer, &p.total};
  for (std::size_t i = 0; i < slices.size(); ++i) {
    if ((phase_mask & (1U << i)) != 0) {
      *slices[i] = u.seconds();
    }
  }
  if ((phase_mask & 0x80) != 0) {
    p.first_token = u.seconds();
  }
  const auto token_mask = u.raw<std::uint8_t>();
  auto& t = r.tokens;
  const std::array<std::optional<long long>*, 6> tokens = {&t.prompt_tokens,
                                                          &t.completion_tokens,
                                                          &t.total_tokens,
                                                          &t.image_tokens,
                                                          &t.cached_tokens,
                                                          &r.baseline_prompt_tokens};
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if ((token_mask & (1U << i)) != 0) {
      *tokens[i] = u.signed_varint();
    }
  }
  r.http_status = static_cast<unsigned>(u.varint());
  r.result = u.raw<outcome>();
  r.note = u.raw<probe_note>();
  r.kind = u.raw<challenge_kind>();
  r.shape = u.raw<probe_shape>();
  r.reason = u.text();
  r.expected = u.text();
  r.answer_excerpt = (flags & excerpt_is_expected) != 0 ? r.expected : u.text();
  return {std::move(r), prefix.at() + size};
}

/// Where the packed result after the one at `at` starts.
const char* skip(const char* at) {
  unpacker prefix(at);
  const auto size = prefix.varint();
  return prefix.at() + size;
}

}  // namespace

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
      window_(static_cast<std::uint32_t>(std::min<std::size_t>(window, UINT32_MAX))),
      flags_(window),
      recent_limit_(static_cast<std::uint16_t>(std::clamp<std::size_t>(recent, 1, 65535))) {}

route_state::~route_state() = default;
route_state::route_state(route_state&&) noexcept = default;
route_state& route_state::operator=(route_state&&) noexcept = default;

void route_state::record(const probe_result& r) {
  if (!is_transport_error(r.result)) {
    latency_.add(r.latency_seconds);
  }
  if (r.phases.first_token) {
    if (!first_token_) {
      first_token_ = std::make_unique<sample_window>(window_);
    }
    first_token_->add(*r.phases.first_token);
  }
  flags_.add(static_cast<std::uint8_t>((r.success() ? success_bit : 0U) |
                                       (r.silent() ? silent_bit : 0U) |
                                       (static_cast<unsigned>(r.shape) << shape_shift)));
  const auto known = latest_.begin() + latest_count_;
  const auto seen =
      std::find_if(latest_.begin(), known, [&r](const auto& l) { return l.first == r.shape; });
  if (seen != known) {
    seen->second = r.result;
  } else if (latest_count_ < latest_.size()) {
    latest_[latest_count_++] = {r.shape, r.result};
  }
  if (cost_) {
    cost_->add(r.cost_usd);
  } else if (r.cost_usd != 0.0) {  // NaN too; -0.0 adds nothing to a sum, like 0.0
    cost_ = std::make_unique<sample_window>(window_);
    cost_->add(r.cost_usd);
  }
  last_result_ = r.result;
  last_shape_ = r.shape;
  if (recent_size_ == recent_limit_) {
    recent_.erase(recent_.begin(), recent_.begin() + (skip(recent_.data()) - recent_.data()));
    --recent_size_;
  }
  newest_at_ = static_cast<std::uint32_t>(recent_.size());
  pack(r, recent_);
  ++recent_size_;
}

std::vector<probe_result> route_state::recent() const {
  std::vector<probe_result> out;
  out.reserve(recent_size_);
  for (const char* at = recent_.data(); at != recent_.data() + recent_.size();) {
    auto [r, next] = unpack(at);
    out.push_back(std::move(r));
    at = next;
  }
  std::reverse(out.begin(), out.end());  // newest first
  return out;
}

const char* route_state::newest_packed() const noexcept { return recent_.data() + newest_at_; }

std::optional<probe_result> route_state::last() const {
  if (recent_size_ == 0) {
    return std::nullopt;
  }
  return unpack(newest_packed()).first;
}

std::optional<probe_result> route_state::last_control() const {
  if (last_control_.empty()) {
    return std::nullopt;
  }
  return unpack(last_control_.data()).first;
}

bool route_state::record_baseline(const probe_result& r) {
  last_control_.clear();
  pack(r, last_control_);
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
  if (retry && recent_size_ > 0 && last_result_ != outcome::ok &&
      std::find(shapes.begin(), shapes.end(), last_shape_) != shapes.end()) {
    return last_shape_;
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
    for (std::size_t i = 0; i < latest_count_; ++i) {
      if (latest_[i].first == s) {
        o.last = latest_[i].second;
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
  window_ = static_cast<std::uint32_t>(std::min<std::size_t>(window, UINT32_MAX));
  if (cost_) {
    cost_->set_capacity(window);
  }
  if (first_token_) {
    first_token_->set_capacity(window);
  }
  flags_.set_capacity(window);
}

window_figures route_state::figures() const {
  window_figures f;
  f.probes = flags_.size();
  if (f.probes > 0) {
    const auto successes = count_flag(flags_, success_bit);
    f.success_ratio = static_cast<double>(successes) / static_cast<double>(f.probes);
    if (successes > 0) {
      f.cost_per_success_usd = (cost_ ? cost_->sum() : 0.0) / static_cast<double>(successes);
    }
  }
  if (!latency_.empty()) {  // one sort for all four (this runs on every probe)
    const auto sorted = latency_.sorted();
    f.latency_p50 = quantile_of_sorted(sorted, 0.5);
    f.latency_p90 = quantile_of_sorted(sorted, 0.9);
    f.latency_p99 = quantile_of_sorted(sorted, 0.99);
    f.latency_max = sorted.back();
  }
  if (first_token_ && !first_token_->empty()) {
    f.first_token_p90 = quantile_of_sorted(first_token_->sorted(), 0.9);
  }
  return f;
}

std::uint64_t route_state::silent_in_window() const { return count_flag(flags_, silent_bit); }

std::optional<route_state::last_brief> route_state::last_probe_brief() const noexcept {
  if (recent_size_ == 0) {
    return std::nullopt;
  }
  // The packed head only; the outcome is last_result_.
  unpacker prefix(newest_packed());
  prefix.varint();
  unpacker u(prefix.at());
  probe_result head;
  unpack_head(u, head);
  return last_brief{last_result_, head.started_at, head.latency_seconds};
}

}  // namespace visionwatch
