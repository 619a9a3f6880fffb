// libFuzzer target for the configuration loader: the input is a configuration file, YAML or
// JSON (JSON is YAML to the loader), with ${VAR} references into a small fixed environment.
// Each input is read twice, by load_config() from an in-memory file (memfd) and by
// parse_config() from the text under the same name, and both must agree. Invariants (a
// violation traps so libFuzzer keeps the input): neither throws; errors are empty exactly when a
// config is returned; there are at most max_errors (+1 "too many errors") of them, each one line;
// and no error ever shows a value that came from the environment (secrets).
// Build and run: scripts/fuzz (README, "Development").
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/config/config.hpp"
#include "daemon/config/config_reader.hpp"

namespace {

using namespace visionwatch;

void require(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

// Values no error may show. Names the seed corpus uses: ${API_KEY}, ${HOST}, ${PORT}, ${TOKEN}.
const std::map<std::string, std::string>& environment() {
  static const std::map<std::string, std::string> vars = {
      {"API_KEY", "sk-Fz9QsecretQ7"},
      {"TOKEN", "tok-Fz9QsecretQ8"},
      {"HOST", "gw.Fz9QsecretQ9.example"},
      {"PORT", "8443"},
      {"EMPTY", ""},
      {"NL", "line\nFz9QsecretQ0"},
  };
  return vars;
}

std::optional<std::string> lookup(const std::string& name) {
  const auto& vars = environment();
  const auto it = vars.find(name);
  return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
}

void check_result(const config_result& r, std::string_view text) {
  require(r.value.has_value() == r.errors.empty());
  require(r.errors.size() <= config_reading::max_errors + 1);
  // A marker that is in the input itself may be echoed legitimately; only one that came from
  // the environment must never show.
  const bool marker_in_input = text.find("Fz9Q") != std::string_view::npos;
  for (const auto& e : r.errors) {
    const auto line = e.to_string();
    require(!line.empty() && line.find('\n') == std::string::npos);
    if (!marker_in_input) {
      require(line.find("Fz9Q") == std::string::npos);
    }
  }
}

bool same_errors(const config_result& a, const config_result& b) {
  if (a.errors.size() != b.errors.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.errors.size(); ++i) {
    if (a.errors[i].to_string() != b.errors[i].to_string()) {
      return false;
    }
  }
  return true;
}

/// An in-memory file the loader reads through /proc/self/fd, so fuzzing writes nothing to disk.
class memory_file {
 public:
  memory_file() : fd_(memfd_create("visionwatch-fuzz-config", 0)) { require(fd_ >= 0); }
  ~memory_file() { close(fd_); }
  memory_file(const memory_file&) = delete;
  memory_file& operator=(const memory_file&) = delete;

  std::string replace(std::string_view text) {
    require(ftruncate(fd_, 0) == 0);
    std::size_t done = 0;
    while (done < text.size()) {
      const auto n = pwrite(fd_, text.data() + done, text.size() - done, static_cast<off_t>(done));
      require(n > 0);
      done += static_cast<std::size_t>(n);
    }
    return "/proc/self/fd/" + std::to_string(fd_);
  }

 private:
  int fd_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static memory_file file;
  const env_lookup env = lookup;
  try {
    const std::string path = file.replace(text);
    const config_result loaded = load_config(path, env);
    check_result(loaded, text);
    const config_result parsed = parse_config(text, path, env);
    check_result(parsed, text);
    require(same_errors(loaded, parsed));
  } catch (...) {
    __builtin_trap();  // "never throws for bad input"
  }
  return 0;
}
