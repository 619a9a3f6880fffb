#include "daemon/config/config.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <utility>

#include "daemon/config/config_document.hpp"
#include "daemon/config/config_reader.hpp"

namespace visionwatch {
namespace {

namespace fs = std::filesystem;
using config_reading::config_reader;
using config_reading::max_config_bytes;
using config_reading::read_document;

config_result parse_with(std::string_view text,
                         const std::string& file_name,
                         const env_lookup& env) {
  config_result out;
  config_reader reader(file_name, fs::path(file_name).parent_path(), env);
  config cfg;
  cfg.path = file_name;
  try {
    if (const auto root = reader.load(text)) {
      read_document(reader, *root, cfg);
    }
  } catch (const std::exception& e) {
    // yaml-cpp may throw on inputs its parser accepted but its node API rejects; a config error
    // is the right answer for those too, never a crash.
    reader.fail(0, "", std::string("cannot read the configuration: ") + e.what());
  }
  out.errors = reader.take_errors();
  if (out.errors.empty()) {
    out.value = std::move(cfg);
  }
  return out;
}

}  // namespace

const gateway_config* config::find_gateway(std::string_view name) const noexcept {
  for (const auto& g : gateways) {
    if (g.name == name) {
      return &g;
    }
  }
  return nullptr;
}

std::string config_error::to_string() const {
  // One error, one line: a key from the file (echoed in `path`) may hold control bytes.
  const auto printable = [](std::string text) {
    std::replace_if(
        text.begin(),
        text.end(),
        [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == '\x7f'; },
        ' ');
    return text;
  };
  std::string out = file;
  if (line > 0) {
    out += ':';
    out += std::to_string(line);
  }
  out += ": ";
  if (!path.empty()) {
    out += printable(path);
    out += ": ";
  }
  out += printable(message);
  return out;
}

config_result parse_config(std::string_view text,
                           const std::string& file_name,
                           const env_lookup& env) {
  return parse_with(text, file_name, env);
}

config_result parse_config(std::string_view text, const std::string& file_name) {
  return parse_with(text, file_name, process_env);
}

config_result load_config(const std::string& path, const env_lookup& env) {
  auto fail = [&](std::string message) {
    config_result r;
    r.errors.push_back(config_error{path, 0, "", std::move(message)});
    return r;
  };
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    return fail("cannot read: is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(std::string("cannot read: ") + std::strerror(errno));
  }
  std::string text(max_config_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) {
    return fail(std::string("cannot read: ") + std::strerror(errno));
  }
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > max_config_bytes) {
    return fail("the file is larger than 4 MiB");
  }
  return parse_with(text, path, env);
}

config_result load_config(const std::string& path) { return load_config(path, process_env); }

}  // namespace visionwatch
