#include "alerts/webhook_signature.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <stdexcept>
#include <vector>

namespace visionwatch {
namespace {
const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
}  // namespace

std::optional<std::string> decode_webhook_secret(std::string_view secret) {
  constexpr std::string_view prefix = "whsec_";
  if (secret.substr(0, prefix.size()) != prefix) {
    return std::nullopt;
  }
  auto key = base64_decode(secret.substr(prefix.size()));
  if (!key || key->empty()) {
    return std::nullopt;
  }
  return key;
}

std::string webhook_signature(std::string_view key,
                              std::string_view message_id,
                              std::int64_t timestamp,
                              std::string_view body) {
  std::string content;
  content.reserve(message_id.size() + body.size() + 24);
  content += message_id;
  content += '.';
  content += std::to_string(timestamp);
  content += '.';
  content += body;
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(),
           key.data(),
           static_cast<int>(key.size()),
           bytes_of(content),
           content.size(),
           mac.data(),
           &length) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 unavailable");
  }
  return "v1," + base64_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), length));
}

}  // namespace visionwatch
