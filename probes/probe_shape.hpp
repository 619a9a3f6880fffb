#pragma once
/// Probe shapes (config `shapes:`): the forms a vision request takes in real applications. A
/// route can lose the image only for some of them (tools declared, a system message, the image
/// in an earlier turn, JPEG/WebP/GIF, transparency, a large image), so each route rotates
/// through its configured shapes, one per interval, and `check` runs every one. The verdict is
/// the same for every shape; results, reasons and per-shape metrics name the shape.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace visionwatch {

/// One enumerator per shape, in the order of probe_shape_names (enum_names.cpp).
enum class probe_shape : std::uint8_t {
  plain,    ///< one user message: the prompt and the PNG image(s) (the default)
  system,   ///< a short system message before the user turn
  tools,    ///< the request declares one harmless function tool the question does not need
  history,  ///< the images in an earlier user turn, an assistant reply, the question last
  jpeg,     ///< the images encoded as JPEG (image/jpeg)
  webp,     ///< the images encoded as WebP (image/webp)
  gif,      ///< the images encoded as GIF (image/gif)
  rgba,     ///< a PNG with a transparent background: flattening to black hides the answer
  large,    ///< an image above the providers' downscale size, text sized to catch a heavy one
};

/// Shapes a route may list (config spelling == to_string).
inline constexpr std::size_t probe_shape_count = 9;

/// The configuration spelling ("plain", "tools", ...); "unknown" outside the enum.
std::string_view to_string(probe_shape s) noexcept;
/// The shape with this spelling, if any.
std::optional<probe_shape> probe_shape_from_string(std::string_view s) noexcept;
/// Every spelling, in enum order (for "use one of ..." messages).
std::vector<std::string_view> probe_shape_names();

struct probe_request;
struct challenge_options;

/// Shape `system`: the system message sent before the user turn.
inline constexpr std::string_view shape_system_prompt =
    "You are a careful assistant. Answer the user's question about the image exactly as asked.";
/// Shape `tools`: the declared function tool (never needed to answer).
inline constexpr std::string_view shape_tool_name = "get_current_time";
inline constexpr std::string_view shape_tool_description =
    "Returns the current UTC time as an ISO 8601 string.";
/// Shape `history`: the earlier user turn sent with the images, the assistant's reply to it,
/// and the prefix put before the question in the last user turn.
inline constexpr std::string_view shape_history_question =
    "I am sending you an image. Please look at it carefully; I will ask about it next.";
inline constexpr std::string_view shape_history_reply =
    "I have looked at the image. What would you like to know about it?";
inline constexpr std::string_view shape_history_prefix =
    "About the image I sent in my first message: ";

/// The request form of `shape`: sets system_prompt (system), declare_tool (tools), or earlier
/// and the prompt's prefix (history); the other shapes leave the request as it is.
void apply_shape(probe_shape shape, probe_request& request);
/// The image of `shape`: the format (jpeg, webp, gif), `transparent` (rgba) or `large`; the
/// other shapes leave the options as they are.
void apply_shape(probe_shape shape, challenge_options& options);

}  // namespace visionwatch
