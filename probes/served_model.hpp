#pragma once
/// The served-model check: does the model a reply names (`reply::model`) fit the route? A
/// gateway that falls back to another model (a cheaper one, a text-only one) still answers 200,
/// and the reply's `model` is often the only trace of it. Pure.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace visionwatch {

/// Tolerant name comparison: case-insensitive; a provider path is dropped (`openai/gpt-4o`,
/// `models/gemini-2.0-flash`); version suffixes are dropped from both names (`-2024-08-06`,
/// `-20241022`, `@20241022`, `-latest`, `:latest`, `-001`, `-v2:0`, `-0613`). So `gpt-4o` fits
/// `gpt-4o-2024-08-06` and `openai/gpt-4o`, but not `gpt-4o-mini`.
bool same_model(std::string_view served, std::string_view configured);

/// What a route accepts as the served model (`checks.expect_model`).
class model_expectation {
 public:
  enum class mode : std::uint8_t {
    route_model,  ///< default: same_model() with the route's `model`
    prefix,       ///< the served name (or its name without provider path) starts with `text`
    pattern,      ///< `text` is an ECMAScript regex (case-insensitive) found in the served name
    off,          ///< no check
  };

  /// The default: the route's own model, tolerantly.
  model_expectation() = default;

  /// Reads the config syntax: `off`, `re:<regex>` or a prefix. nullopt and `error` set when the
  /// regex does not compile (or uses back-references) or the value is empty.
  static std::optional<model_expectation> parse(std::string_view spec, std::string& error);

  /// True when `served` fits. An empty `served` (the reply names no model) always fits.
  [[nodiscard]] bool accepts(std::string_view served, std::string_view route_model) const;

  /// "the route's model 'gpt-4o'", "a name starting with 'gpt-4o'", "a name matching /^gpt/".
  [[nodiscard]] std::string describe(std::string_view route_model) const;

  [[nodiscard]] mode kind() const noexcept { return mode_; }
  /// The prefix or the regex source, as configured (without `re:`).
  [[nodiscard]] const std::string& text() const noexcept { return text_; }

 private:
  struct compiled;
  mode mode_ = mode::route_model;
  std::string text_;
  std::shared_ptr<const compiled> regex_;  ///< compiled once at load, shared by copies
};

}  // namespace visionwatch
