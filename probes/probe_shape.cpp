#include "probes/probe_shape.hpp"

#include <array>
#include <cstddef>
#include <optional>
#include <string>

#include "probes/adapter.hpp"
#include "probes/challenge.hpp"

namespace visionwatch {

namespace {

/// What a shape changes: the request's form (system, tools, history) or its image (format,
/// transparency, size). One row per probe_shape, in enum order.
struct shape_effect {
  bool system_prompt = false;
  bool declare_tool = false;
  bool history = false;
  std::optional<image_format> format;
  bool transparent = false;
  bool large = false;
};

constexpr auto none = std::nullopt;

// system_prompt, declare_tool, history, format, transparent, large
constexpr std::array<shape_effect, probe_shape_count> shape_effects = {{
    {false, false, false, none, false, false},                // plain
    {true, false, false, none, false, false},                 // system
    {false, true, false, none, false, false},                 // tools
    {false, false, true, none, false, false},                 // history
    {false, false, false, image_format::jpeg, false, false},  // jpeg
    {false, false, false, image_format::webp, false, false},  // webp
    {false, false, false, image_format::gif, false, false},   // gif
    {false, false, false, none, true, false},                 // rgba
    {false, false, false, none, false, true},                 // large
}};
static_assert(static_cast<std::size_t>(probe_shape::large) + 1 == probe_shape_count);

/// The effect of `shape`; none for a value outside the enum (a cast, never a parsed name).
shape_effect effect_of(probe_shape shape) noexcept {
  const auto i = static_cast<std::size_t>(shape);
  return i < shape_effects.size() ? shape_effects[i] : shape_effect{};
}

}  // namespace

void apply_shape(probe_shape shape, probe_request& request) {
  const shape_effect e = effect_of(shape);
  if (e.system_prompt) {
    request.system_prompt = shape_system_prompt;
  }
  if (e.declare_tool) {
    request.declare_tool = true;
  }
  if (e.history) {
    request.earlier =
        earlier_turn{std::string(shape_history_question), std::string(shape_history_reply)};
    request.prompt.insert(0, shape_history_prefix);
  }
}

void apply_shape(probe_shape shape, challenge_options& options) {
  const shape_effect e = effect_of(shape);
  if (e.format) {
    options.format = *e.format;
  }
  if (e.transparent) {
    options.transparent = true;
  }
  if (e.large) {
    options.large = true;
  }
}

}  // namespace visionwatch
