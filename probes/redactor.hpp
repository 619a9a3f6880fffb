#pragma once
/// The one place upstream text is cleaned of secrets before it becomes a reason, a log line, an
/// API field, a status page line or a notification. Built once from the secrets a gateway or a
/// receiver was configured with; immutable afterwards, so one instance may be shared freely.
///
/// redact() masks, in this order:
///  1. every configured secret LITERALLY, wherever it occurs (any substring), also in its
///     percent-encoded, JSON-escaped and base64 forms; secrets shorter than min_secret_bytes are
///     ignored (masking "1" everywhere would destroy every reason and protects nothing);
///  2. the common key shapes of redact_secrets() (probes/text_util.hpp): sk-..., Bearer ...,
///     AIza..., gsk_..., xai-..., AKIA/ASIA access key ids, 32-hex Azure keys, 40-character AWS
///     secret keys.
/// Each masked span becomes "***".

#include <string>
#include <string_view>
#include <vector>

namespace visionwatch {

class redactor {
 public:
  /// Secrets shorter than this are not masked literally (the key shapes still apply).
  static constexpr std::size_t min_secret_bytes = 6;

  /// Only the key shapes.
  redactor() = default;
  explicit redactor(const std::vector<std::string>& secrets);

  /// Adds one secret (and its encoded forms); ignored when shorter than min_secret_bytes.
  void add(std::string_view secret);
  /// Adds the credentials of a URL: its userinfo (user, password, "user:pass" and the Basic
  /// value), and its path segments and query values of at least 16 bytes (tokens in webhook
  /// URLs such as Slack's). Also the whole URL.
  void add_url(std::string_view url);

  /// `text` with every secret and key shape masked.
  [[nodiscard]] std::string redact(std::string_view text) const;
  std::string operator()(std::string_view text) const { return redact(text); }

  /// How many literal forms are masked (for tests).
  [[nodiscard]] std::size_t size() const noexcept { return needles_.size(); }

 private:
  void add_form(std::string form);
  std::vector<std::string> needles_;  ///< longest first, so a longer form wins over its parts
};

}  // namespace visionwatch
