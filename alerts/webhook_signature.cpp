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

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                bytes_of(bytes),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '+' || c == '/';
    // '=' only as the last one or two characters.
    const bool pad =
        c == '=' && i + 2 >= text.size() && (i + 1 == text.size() || text[i + 1] == '=');
    if (!alpha && !pad) {
      return std::nullopt;
    }
  }
  std::string out(3 * text.size() / 4 + 1, '\0');
  const int n = EVP_DecodeBlock(
      reinterpret_cast<unsigned char*>(out.data()), bytes_of(text), static_cast<int>(text.size()));
  if (n < 0) {
    return std::nullopt;
  }
  // EVP_DecodeBlock counts the zero bytes that padding stands for.
  std::size_t size = static_cast<std::size_t>(n);
  if (!text.empty() && text.back() == '=') {
    --size;
    if (text[text.size() - 2] == '=') {
      --size;
    }
  }
  out.resize(size);
  return out;
}

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
