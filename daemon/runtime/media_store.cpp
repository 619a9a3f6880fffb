#include "daemon/runtime/media_store.hpp"

#include <openssl/rand.h>

#include <array>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace visionwatch {

std::string_view media_extension(std::string_view mime) noexcept {
  constexpr std::array<std::pair<std::string_view, std::string_view>, 4> extensions = {
      {{"image/png", ".png"},
       {"image/jpeg", ".jpg"},
       {"image/webp", ".webp"},
       {"image/gif", ".gif"}}};
  for (const auto& [type, extension] : extensions) {
    if (type == mime) {
      return extension;
    }
  }
  return "";
}

std::string media_store::put(std::string bytes, std::string mime, clock::time_point expires) {
  expire(clock::now());
  std::array<unsigned char, 16> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    throw std::runtime_error("media_store: no random bytes from OpenSSL");
  }
  static constexpr std::string_view hex = "0123456789abcdef";
  std::string token;
  token.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    token += hex[c >> 4];
    token += hex[c & 0xf];
  }
  entries_.insert_or_assign(token, entry{std::move(bytes), std::move(mime), expires});
  return token;
}

const media_store::entry* media_store::find(std::string_view token, clock::time_point now) {
  if (const auto dot = token.rfind('.'); dot != std::string_view::npos) {
    token = token.substr(0, dot);  // the extension is for the gateway; the token names the image
  }
  const auto it = entries_.find(token);
  if (it == entries_.end() || it->second.expires <= now) {
    return nullptr;
  }
  return &it->second;
}

void media_store::remove(std::string_view token) {
  const auto it = entries_.find(token);
  if (it != entries_.end()) {
    entries_.erase(it);
  }
}

void media_store::expire(clock::time_point now) {
  std::erase_if(entries_, [now](const auto& kv) { return kv.second.expires <= now; });
}

}  // namespace visionwatch
