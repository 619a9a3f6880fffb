#include "alerts/state_store.hpp"
#include "probes/utc_time.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <system_error>

namespace visionwatch {
namespace {

std::string errno_text(int e) { return std::error_code(e, std::generic_category()).message(); }

// Closes the descriptor on every path.
class fd_guard {
 public:
  explicit fd_guard(int fd) : fd_(fd) {}
  ~fd_guard() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  [[nodiscard]] int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_;
};


}  // namespace

std::string state_json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

state_store::state_store(std::filesystem::path directory)
    : directory_(std::move(directory)), file_(directory_ / "state.json") {}

nlohmann::json state_store::section(std::string_view name) const {
  const auto it = sections_.find(name);
  if (it == sections_.end()) {
    return nullptr;
  }
  auto value = nlohmann::json::parse(it->second, nullptr, false);
  return value.is_discarded() ? nlohmann::json() : value;  // set_section_text's contract broken
}

void state_store::set_section(std::string name, const nlohmann::json& value) {
  sections_[std::move(name)] = state_json_text(value);
}

void state_store::set_section_text(std::string name, std::string json_text) {
  sections_[std::move(name)] = std::move(json_text);
}

void state_store::remove_section(std::string_view name) {
  if (auto it = sections_.find(name); it != sections_.end()) {
    sections_.erase(it);
  }
}

state_store::load_report state_store::load(wall_time now) {
  load_report report;
  sections_.clear();
  std::error_code ec;
  const bool exists = std::filesystem::exists(file_, ec);
  if (ec) {
    report.error = "cannot check " + file_.string() + ": " + ec.message();
    return report;
  }
  if (!exists) {
    return report;
  }
  report.found = true;
  std::string problem;
  std::map<std::string, std::string, std::less<>> loaded;
  const auto size = std::filesystem::file_size(file_, ec);
  if (ec) {
    problem = "cannot read: " + ec.message();
  } else if (size > max_file_bytes) {
    problem = "file is " + std::to_string(size) + " bytes, more than the " +
              std::to_string(max_file_bytes) + " a state file may hold";
  } else {
    std::ifstream in(file_, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in || in.bad()) {
      problem = "cannot read: " + errno_text(errno);
    } else {
      // parse without exceptions: a torn or hand-edited file is expected input here.
      auto doc = nlohmann::json::parse(text.str(), nullptr, false);
      if (doc.is_discarded()) {
        problem = "not valid JSON";
      } else if (!doc.is_object() || !doc.contains("version") ||
                 !doc["version"].is_number_integer()) {
        problem = "not a visionwatch state file (no version)";
      } else if (doc["version"].get<long long>() != format_version) {
        problem = "state format version " + doc["version"].dump() + " is not " +
                  std::to_string(format_version);
      } else if (!doc.contains("sections") || !doc["sections"].is_object()) {
        problem = "no sections object";
      } else {
        for (const auto& [k, v] : doc["sections"].items()) {
          loaded.emplace(k, state_json_text(v));
        }
      }
    }
  }
  if (problem.empty()) {
    sections_ = std::move(loaded);
    return report;
  }
  report.error = "state file " + file_.string() + ": " + problem;
  auto aside = file_;
  aside += ".corrupt-" + format_compact_utc(now);
  std::filesystem::rename(file_, aside, ec);
  if (ec) {
    report.error += "; could not move it aside: " + ec.message();
  } else {
    report.moved_to = aside;
    report.error += "; moved to " + aside.string() + ", starting with a clean state";
  }
  return report;
}

std::string state_store::save(wall_time now) const {
  std::error_code ec;
  std::filesystem::create_directories(directory_, ec);
  if (ec) {
    return "cannot create state directory " + directory_.string() + ": " + ec.message();
  }
  auto tmp = file_;
  tmp += ".tmp";
  fd_guard fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) {
    return "cannot write " + tmp.string() + ": " + errno_text(errno);
  }
  // The document nlohmann's dump() made of {"version", "saved_at", "sections"} (keys in order),
  // written piece by piece: a section's text as it is kept, the glue between them in a small
  // buffer.
  std::string glue = R"({"saved_at":)" +
                     state_json_text(format_rfc3339(now, utc_precision::milliseconds)) +
                     R"(,"sections":{)";
  bool first = true;
  const auto write_all = [&](std::string_view text) -> int {
    while (!text.empty()) {
      const auto n = ::write(fd.get(), text.data(), text.size());
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        return errno;
      }
      text.remove_prefix(static_cast<std::size_t>(n));
    }
    return 0;
  };
  int error = 0;
  for (const auto& [name, text] : sections_) {
    if (!first) {
      glue += ',';
    }
    first = false;
    glue += state_json_text(name);
    glue += ':';
    error = write_all(glue);
    if (error == 0) {
      error = write_all(text);
    }
    if (error != 0) {
      break;
    }
    glue.clear();
  }
  if (error == 0) {
    glue += R"(},"version":)" + std::to_string(format_version) + "}";
    error = write_all(glue);
  }
  if (error != 0) {
    ::unlink(tmp.c_str());
    return "cannot write " + tmp.string() + ": " + errno_text(error);
  }
  if (::fsync(fd.get()) != 0) {
    const auto e = errno;
    ::unlink(tmp.c_str());
    return "cannot fsync " + tmp.string() + ": " + errno_text(e);
  }
  if (::close(fd.release()) != 0) {
    const auto e = errno;
    ::unlink(tmp.c_str());
    return "cannot close " + tmp.string() + ": " + errno_text(e);
  }
  if (::rename(tmp.c_str(), file_.c_str()) != 0) {
    const auto e = errno;
    ::unlink(tmp.c_str());
    return "cannot rename " + tmp.string() + " to " + file_.string() + ": " + errno_text(e);
  }
  // The rename is durable only once the directory entry is on disk.
  fd_guard dir(::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || ::fsync(dir.get()) != 0) {
    return "cannot fsync state directory " + directory_.string() + ": " + errno_text(errno);
  }
  return {};
}

}  // namespace visionwatch
