#pragma once
/// How a route's shapes (config `shapes:`, probes/probe_shape.hpp) become probes and words:
/// the request forms whose usage baselines the control requests measure, how often a control
/// request runs so that every form is refreshed once per baseline_interval, and the texts that
/// name a failing shape in a probe's reason and a route's summary. Pure; the rotation itself
/// lives in route_state (it survives reloads with the route's sequence).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "probes/outcome.hpp"
#include "probes/probe_shape.hpp"

namespace visionwatch {

/// The text a request carries besides the image: what a text-only control request must repeat
/// for its prompt tokens to compare like with like. The image shapes (jpeg, webp, gif, rgba,
/// large) send plain's text, so they share plain's baseline.
enum class request_form : std::uint8_t {
  plain,    ///< the question alone
  system,   ///< a system message, then the question
  tools,    ///< the question and one declared tool (its schema costs prompt tokens)
  history,  ///< an earlier user turn and the assistant's reply, then the question
};
inline constexpr std::size_t request_form_count = 4;

/// "plain", "system", "tools", "history".
std::string_view to_string(request_form f) noexcept;
/// The request form `s` sends (read from what apply_shape puts in a request).
request_form form_of(probe_shape s);
/// The shape a control request of form `f` takes (its request form, never an image).
probe_shape shape_of(request_form f) noexcept;
/// The distinct request forms of `shapes`, in the order they first appear.
std::vector<request_form> forms_of(std::span<const probe_shape> shapes);

/// How often the route's scheduler runs a control request: baseline_interval divided by the
/// number of request forms, each control request refreshing the form that needs it most, so
/// every form is measured once per baseline_interval. The image shapes add no control request.
std::chrono::milliseconds control_interval(std::chrono::milliseconds baseline_interval,
                                           std::span<const probe_shape> shapes);

/// "plain, tools": the shapes for messages.
std::string shape_list(std::span<const probe_shape> shapes);

/// Whether a route's results name their shape: its shapes are anything but `[plain]` (the
/// default, whose output stays as it was).
bool names_shapes(std::span<const probe_shape> shapes) noexcept;

/// The latest probe of one configured shape; `last` unset until it was probed.
struct shape_outcome {
  probe_shape shape = probe_shape::plain;
  std::optional<outcome> last;
};

/// The reason of a failed probe of `shape`, naming it: "fails only with tools: <reason>" when
/// every other shape in `latest` passed its latest probe, otherwise "with tools: <reason>".
/// `latest` is every configured shape before this probe (its own entry is ignored).
std::string shape_reason(probe_shape shape,
                         std::string_view reason,
                         std::span<const shape_outcome> latest);

/// One line on a route whose shapes disagree: "fails only with tools: no_image_claim" (several:
/// "fails only with tools (no_image_claim), history (empty_answer)") when the other shapes
/// passed; "fails with tools: no_image_claim" when some shape is not probed yet; "" when no
/// shape fails, or every shape fails (the route fails as a whole; its rows say how).
std::string shapes_summary(std::span<const shape_outcome> latest);

}  // namespace visionwatch
