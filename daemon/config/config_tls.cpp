#include "daemon/config/config_tls.hpp"

namespace visionwatch::config_reading {

void parse_tls(config_reader& reader, const map_reader& parent, tls_fields out) {
  const auto* v = parent.get("tls");
  if (v == nullptr) {
    return;
  }
  const map_reader t(
      reader,
      *v,
      parent.at("tls"),
      out.server_name != nullptr ? config_fields::gateway_tls() : config_fields::receiver_tls());
  if (!t.ok()) {
    return;
  }
  if (const auto* f = t.get("ca_file")) {
    if (auto file = reader.readable_file(*f, t.at("ca_file"))) {
      out.ca_file = *file;
    }
  }
  t.read_boolean("insecure_skip_verify", out.insecure_skip_verify);
  if (out.server_name != nullptr) {
    t.read_string("server_name", *out.server_name, true);
  }
}

}  // namespace visionwatch::config_reading
