#pragma once
/// The `tls:` block that gateways and receivers share: ca_file (a readable file, resolved against
/// the configuration's directory), insecure_skip_verify and, for gateways only, server_name.

#include <string>

#include "daemon/config/config_map_reader.hpp"

namespace visionwatch::config_reading {

/// Where the `tls:` values go; a null `server_name` means the key is not allowed.
struct tls_fields {
  std::string& ca_file;
  bool& insecure_skip_verify;
  std::string* server_name = nullptr;
};

/// Reads `parent`'s optional "tls" key into `out`.
void parse_tls(config_reader& reader, const map_reader& parent, tls_fields out);

}  // namespace visionwatch::config_reading
