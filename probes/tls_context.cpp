#include "probes/tls_context.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <array>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>

namespace visionwatch {

namespace ssl = boost::asio::ssl;

std::shared_ptr<ssl::context> shared_tls_context(const tls_options& o) {
  std::string key = o.insecure_skip_verify ? "insecure|" : "verify|";
  if (o.ca_file.empty()) {
    key += "system";
  } else {
    std::error_code fec;
    const auto size = std::filesystem::file_size(o.ca_file, fec);
    const auto mtime = std::filesystem::last_write_time(o.ca_file, fec);
    key += o.ca_file + "|" + std::to_string(size) + "|" +
           std::to_string(mtime.time_since_epoch().count());
  }
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<ssl::context>> cache;
  std::lock_guard lock(mutex);
  std::erase_if(cache, [](const auto& entry) { return entry.second.expired(); });
  if (auto it = cache.find(key); it != cache.end()) {
    if (auto ctx = it->second.lock()) {
      return ctx;
    }
  }
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  if (!o.ca_file.empty()) {
    ctx->load_verify_file(o.ca_file, ec);
    if (ec) {
      throw std::runtime_error("cannot load CA file " + o.ca_file + ": " + ec.message());
    }
  } else if (!o.insecure_skip_verify) {
    ctx->set_default_verify_paths(ec);
    if (ec) {
      throw std::runtime_error("cannot load the system CA store: " + ec.message());
    }
  }
  ctx->set_verify_mode(o.insecure_skip_verify ? ssl::verify_none : ssl::verify_peer);
  cache[key] = ctx;
  return ctx;
}

void set_client_hello(SSL* native, const std::string& server_name, bool name_is_ip) {
  // SSL_set_tlsext_host_name is a macro with an old-style cast; call what it expands to.
  if (!name_is_ip) {
    SSL_ctrl(native,
             SSL_CTRL_SET_TLSEXT_HOSTNAME,
             TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(server_name.c_str()));
  }
  static constexpr std::array<unsigned char, 9> alpn = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_set_alpn_protos(native, alpn.data(), static_cast<unsigned>(alpn.size()));
}

bool verify_host::operator()(bool preverified, ssl::verify_context& ctx) const {
  const bool ok = check_(preverified, ctx);
  if (preverified && !ok) {
    X509_STORE_CTX_set_error(
        ctx.native_handle(),
        is_ip_ ? X509_V_ERR_IP_ADDRESS_MISMATCH : X509_V_ERR_HOSTNAME_MISMATCH);
  }
  return ok;
}

}  // namespace visionwatch
