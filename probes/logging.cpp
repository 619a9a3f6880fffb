#include "probes/logging.hpp"
#include "probes/utc_time.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace visionwatch {
namespace {

bool g_json = false;  // set once at start-up, before any coroutine runs

/// JSON line formatter: {"ts":..., "level":..., "msg":...}. The payload is escaped, and a payload
/// that is already a JSON object (from log_event) is merged in as fields.
class json_formatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    nlohmann::json line;
    line["ts"] = format_rfc3339(msg.time, utc_precision::milliseconds);
    line["level"] = std::string(spdlog::level::to_string_view(msg.level).data(),
                                spdlog::level::to_string_view(msg.level).size());
    if (!payload.empty() && payload.front() == '\x1e') {
      // log_event's structured form: record separator + JSON object.
      auto fields = nlohmann::json::parse(payload.substr(1), nullptr, false);
      if (fields.is_object()) {
        line.update(fields);
      } else {
        line["msg"] = std::string(payload.substr(1));
      }
    } else {
      line["msg"] = std::string(payload);
    }
    const auto text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_formatter>();
  }

 private:
};

/// `<N>` syslog priority prefix that journald reads off each stderr line (sd-daemon(3)), so
/// `journalctl -p warning` filters by level.
class journald_priority_flag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg,
              const std::tm&,
              spdlog::memory_buf_t& dest) override {
    char p = '6';
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug:
        p = '7';
        break;
      case spdlog::level::info:
        p = '6';
        break;
      case spdlog::level::warn:
        p = '4';
        break;
      case spdlog::level::err:
        p = '3';
        break;
      default:
        p = '2';
    }
    const std::array<char, 3> text = {'<', p, '>'};
    dest.append(text.data(), text.data() + text.size());
  }
  [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<journald_priority_flag>();
  }
};

/// True when stderr is connected to journald ($JOURNAL_STREAM names its device and inode).
bool stderr_is_journal() {
  const char* js = std::getenv("JOURNAL_STREAM");
  if (js == nullptr) {
    return false;
  }
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) != 0) {
    return false;
  }
  unsigned long long dev = 0;
  unsigned long long ino = 0;
  if (std::sscanf(js, "%llu:%llu", &dev, &ino) != 2) {
    return false;
  }
  return dev == static_cast<unsigned long long>(st.st_dev) &&
         ino == static_cast<unsigned long long>(st.st_ino);
}

}  // namespace

void setup_logging(std::string_view level, std::string_view format) {
  const auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") {
    throw std::invalid_argument("unknown log level '" + std::string(level) +
                                "' (use trace, debug, info, warn, error, critical, off)");
  }
  if (format != "text" && format != "json") {
    throw std::invalid_argument("unknown log format '" + std::string(format) +
                                "' (use text or json)");
  }
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("visionwatch", sink);
  g_json = format == "json";
  if (g_json) {
    logger->set_formatter(std::make_unique<json_formatter>());
  } else if (stderr_is_journal()) {
    // journald stamps each line itself and takes the level from the <N> prefix.
    auto f = std::make_unique<spdlog::pattern_formatter>();
    f->add_flag<journald_priority_flag>('*').set_pattern("%*%v");
    logger->set_formatter(std::move(f));
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

bool json_logging() noexcept { return g_json; }

void log_event(int spdlog_level, std::string_view msg, const log_fields& fields) {
  const auto lvl = static_cast<spdlog::level::level_enum>(spdlog_level);
  if (!spdlog::should_log(lvl)) {
    return;
  }
  if (g_json) {
    nlohmann::json obj;
    obj["msg"] = std::string(msg);
    for (const auto& [k, v] : fields) {
      obj[k] = v;
    }
    spdlog::log(lvl, "\x1e{}", obj.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return;
  }
  std::string line(msg);
  for (const auto& [k, v] : fields) {
    line += ' ';
    line += k;
    line += '=';
    const bool quote = v.empty() || v.find_first_of(" \"=") != std::string::npos;
    if (quote) {
      line += '"';
      for (char c : v) {
        if (c == '"' || c == '\\') {
          line += '\\';
        }
        line += (c == '\n' || c == '\r') ? ' ' : c;
      }
      line += '"';
    } else {
      line += v;
    }
  }
  spdlog::log(lvl, "{}", line);
}

}  // namespace visionwatch
