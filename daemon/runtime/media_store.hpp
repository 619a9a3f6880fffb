#pragma once
/// Challenge images published for routes with `media: remote_url`: the gateway fetches them from
/// the admin server at GET /media/<token>.<ext> (.png, .jpg, .webp, .gif: the image's type). Tokens
/// are 128-bit random, and an image lives only while its probe runs, so a URL cannot be guessed or
/// replayed into a cache. One io_context thread: not thread-safe.

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace visionwatch {

/// The file extension a URL of an image of `mime` ends with: ".png", ".jpg", ".webp", ".gif"
/// ("" for another type). Gateways that guess the type from the URL see the true one.
std::string_view media_extension(std::string_view mime) noexcept;

class media_store {
 public:
  using clock = std::chrono::steady_clock;

  struct entry {
    std::string bytes;
    std::string mime;
    clock::time_point expires;
  };

  /// Publishes an image until `expires`; returns its token (32 lower-case hex characters).
  std::string put(std::string bytes, std::string mime, clock::time_point expires);
  /// The image for a token ("<token>" or "<token>" and an extension media_extension gives),
  /// unless expired or removed.
  const entry* find(std::string_view token, clock::time_point now);
  void remove(std::string_view token);
  /// Drops expired entries; called by put().
  void expire(clock::time_point now);
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

 private:
  std::map<std::string, entry, std::less<>> entries_;
};

}  // namespace visionwatch
