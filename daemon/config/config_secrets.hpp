#pragma once
/// Secrets in the configuration: a value given as `<base>_env`, `<base>_file` or
/// `<base>_credential` (systemd LoadCredential=), never inline. Shared by global.admin_token,
/// gateways' api_key and receivers' url and secret. Values never appear in a message.

#include <optional>
#include <string>
#include <string_view>

#include "daemon/config/config_map_reader.hpp"

namespace visionwatch::config_reading {

struct secret_value {
  bool given = false;  ///< one of the three keys is present (even when it could not be read)
  std::optional<std::string> value;  ///< set when given and readable
};

/// Reads the secret `base` from `m`. When it is given but cannot be read (unset variable,
/// missing file, two forms at once, a line break with `single_line`), an error is recorded.
secret_value read_secret(config_reader& reader,
                         const map_reader& m,
                         std::string_view base,
                         bool single_line);

/// The key through which secret `base` was given ("url_env", "url_file" or "url_credential"),
/// for messages about the value it holds. Only meaningful when the secret is given.
std::string secret_key(const map_reader& m, std::string_view base);

}  // namespace visionwatch::config_reading
