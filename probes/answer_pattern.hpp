#pragma once
/// A user-supplied probe's `expect.pattern`, compiled once when the config is loaded and shared by
/// every probe of the route (and by its copies across reloads) instead of being rebuilt per probe.
/// Pure; immutable after compile(), so any thread may search it.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace visionwatch {

class answer_pattern {
 public:
  /// Compiles `source` as the verdict matches it: ECMAScript, case-insensitive, polynomial-time
  /// matching (no back-references). nullptr and `error` set when it cannot be used.
  static std::shared_ptr<const answer_pattern> compile(const std::string& source,
                                                       std::string& error);

  /// True when the pattern occurs in the first 512 bytes of `text` (answers to "reply with one
  /// word" are short; std::regex has no time limit). nullopt when matching itself failed
  /// (error_complexity, error_stack): the caller treats the pattern as unusable.
  [[nodiscard]] std::optional<bool> search(std::string_view text) const;

  [[nodiscard]] const std::string& source() const noexcept { return source_; }

  ~answer_pattern();
  answer_pattern(const answer_pattern&) = delete;
  answer_pattern& operator=(const answer_pattern&) = delete;

 private:
  struct compiled;
  answer_pattern(std::string source, std::unique_ptr<compiled> re);
  std::string source_;
  std::unique_ptr<compiled> re_;
};

}  // namespace visionwatch
