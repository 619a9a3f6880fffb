#include "daemon/config/config_secrets.hpp"

#include <filesystem>
#include <fstream>
#include <vector>

namespace visionwatch::config_reading {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t max_secret_bytes = std::size_t{64} * 1024;

std::optional<std::string> read_secret_file(config_reader& reader,
                                            const YAML::Node& n,
                                            const std::string& path,
                                            const std::string& file) {
  if (auto problem = config_reader::unreadable(file)) {
    reader.fail(n, path, "cannot read " + file + ": " + *problem);
    return std::nullopt;
  }
  std::ifstream in(file, std::ios::binary);
  std::string value(max_secret_bytes + 1, '\0');
  in.read(value.data(), static_cast<std::streamsize>(value.size()));
  value.resize(static_cast<std::size_t>(in.gcount()));
  if (value.size() > max_secret_bytes) {
    reader.fail(n, path, file + " is larger than 64 KiB");
    return std::nullopt;
  }
  // Editors and `echo` add one trailing newline; it is not part of the secret.
  if (!value.empty() && value.back() == '\n') {
    value.pop_back();
    if (!value.empty() && value.back() == '\r') {
      value.pop_back();
    }
  }
  return value;
}

/// Nullopt when none is given (`given` false) or when it cannot be read (an error is recorded,
/// `given` true).
std::optional<std::string> secret(config_reader& reader,
                                  const map_reader& m,
                                  std::string_view base,
                                  bool single_line,
                                  bool& given) {
  const std::string env_key = std::string(base) + "_env";
  const std::string file_key = std::string(base) + "_file";
  const std::string cred_key = std::string(base) + "_credential";
  std::vector<std::string> present;
  for (const auto& k : {env_key, file_key, cred_key}) {
    if (m.has(k)) {
      present.push_back(k);
    }
  }
  given = !present.empty();
  if (present.empty()) {
    return std::nullopt;
  }
  if (present.size() > 1) {
    reader.fail(*m.get(present[1]), m.at(present[1]), "set only one of " + join(present, ", "));
    return std::nullopt;
  }
  const std::string& key = present.front();
  const YAML::Node& n = *m.get(key);
  const std::string path = m.at(key);
  std::optional<std::string> value;
  if (key == env_key) {
    auto name = reader.string(n, path, true);
    if (!name) {
      return std::nullopt;
    }
    if (!valid_env_name(*name)) {
      reader.fail(n, path, quote(n.Scalar()) + " is not a valid environment variable name");
      return std::nullopt;
    }
    value = reader.env()(*name);
    if (!value) {
      reader.fail(n, path, "environment variable " + *name + " is not set");
      return std::nullopt;
    }
    if (value->empty()) {
      reader.fail(n, path, "environment variable " + *name + " is empty");
      return std::nullopt;
    }
  } else {
    auto name = reader.string(n, path, true);
    if (!name) {
      return std::nullopt;
    }
    std::string file;
    if (key == cred_key) {
      if (name->find('/') != std::string::npos || *name == "." || *name == "..") {
        reader.fail(n, path, quote(n.Scalar()) + " is not a credential name (a plain file name)");
        return std::nullopt;
      }
      const auto dir = reader.env()("CREDENTIALS_DIRECTORY");
      if (!dir || dir->empty()) {
        reader.fail(n,
                    path,
                    "CREDENTIALS_DIRECTORY is not set (" + key +
                        " needs systemd LoadCredential= or SetCredential=)");
        return std::nullopt;
      }
      file = (fs::path(*dir) / *name).string();
    } else {
      file = reader.resolve(*name);
    }
    value = read_secret_file(reader, n, path, file);
    if (!value) {
      return std::nullopt;
    }
    if (value->empty()) {
      reader.fail(n, path, file + " is empty");
      return std::nullopt;
    }
  }
  if (single_line && value->find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
    reader.fail(n, path, "the secret contains a line break or NUL byte");
    return std::nullopt;
  }
  return value;
}

}  // namespace

secret_value read_secret(config_reader& reader,
                         const map_reader& m,
                         std::string_view base,
                         bool single_line) {
  secret_value out;
  out.value = secret(reader, m, base, single_line, out.given);
  return out;
}

std::string secret_key(const map_reader& m, std::string_view base) {
  const std::string b(base);
  return m.has(b + "_env") ? b + "_env" : m.has(b + "_file") ? b + "_file" : b + "_credential";
}

}  // namespace visionwatch::config_reading
