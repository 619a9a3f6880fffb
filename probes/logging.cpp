#include "probes/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "probes/text_util.hpp"
#include "probes/utc_time.hpp"

namespace visionwatch {
namespace {

bool g_json = false;  // set once at start-up, before any coroutine runs

/// Appends `s` as the inside of a JSON string: '"', '\\' and control characters escaped (the
/// short forms, else \u00xx, as nlohmann::json writes them), invalid UTF-8 as U+FFFD, the rest
/// as it is.
void append_json_escaped(std::string& out, std::string_view s) {
  std::size_t plain = 0;  // start of the run of bytes copied as they are
  std::size_t i = 0;
  const auto flush = [&] { out.append(s.substr(plain, i - plain)); };
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const utf8_decoded d = decode_utf8(s, i);
      if (!d.valid) {
        flush();
        append_utf8(out, U'\uFFFD');
        plain = i + d.length;
      }
      i += d.length;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    flush();
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default: {
        constexpr std::string_view hex = "0123456789abcdef";
        out += "\\u00";
        out += hex[c >> 4U];
        out += hex[c & 0x0fU];
      }
    }
    plain = ++i;
  }
  flush();
}

/// JSON line formatter: {"ts":..., "level":..., "msg":...}. A plain payload becomes "msg"; a
/// log_line's (record separator + the members of an object, already escaped) is spliced in
/// as it is: each line is formatted once.
class json_formatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    std::string line = R"({"ts":")";
    line += format_rfc3339(msg.time, utc_precision::milliseconds);
    line += R"(","level":")";
    const auto level = spdlog::level::to_string_view(msg.level);
    line.append(level.data(), level.size());
    line += "\",";
    if (!payload.empty() && payload.front() == '\x1e') {
      line += payload.substr(1);
    } else {
      line += R"("msg":")";
      append_json_escaped(line, payload);
      line += '"';
    }
    line += "}\n";
    dest.append(line.data(), line.data() + line.size());
  }
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_formatter>();
  }
};

/// The syslog priority digit of each spdlog level, indexed by spdlog::level::level_enum:
/// trace and debug 7 (debug), info 6, warn 4 (warning), err 3, critical (and off) 2 (crit).
constexpr std::array<char, spdlog::level::n_levels> journald_priority = {
    '7', '7', '6', '4', '3', '2', '2'};
static_assert(spdlog::level::trace == 0 && spdlog::level::err == 4 && spdlog::level::n_levels == 7);

/// `<N>` syslog priority prefix that journald reads off each stderr line (sd-daemon(3)), so
/// `journalctl -p warning` filters by level.
class journald_priority_flag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg,
              const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const auto i = static_cast<std::size_t>(msg.level);
    const char p = i < journald_priority.size() ? journald_priority[i] : '2';
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
  setup_logging(level, format, std::make_shared<spdlog::sinks::stderr_sink_mt>());
}

void setup_logging(std::string_view level, std::string_view format, spdlog::sink_ptr sink) {
  const auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") {
    throw std::invalid_argument("unknown log level '" + std::string(level) +
                                "' (use trace, debug, info, warn, error, critical, off)");
  }
  if (format != "text" && format != "json") {
    throw std::invalid_argument("unknown log format '" + std::string(format) +
                                "' (use text or json)");
  }
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
  log_line line(spdlog_level, msg);
  if (!line.enabled()) {
    return;
  }
  for (const auto& [k, v] : fields) {
    line.field(k, v);
  }
  line.emit();
}

log_line::log_line(int spdlog_level, std::string_view msg)
    : level_(spdlog_level),
      enabled_(spdlog::should_log(static_cast<spdlog::level::level_enum>(spdlog_level))),
      json_(g_json) {
  if (!enabled_) {
    return;
  }
  text_.reserve(384);  // a probe's line, in one allocation
  if (json_) {
    text_ += "\x1e\"msg\":\"";
    append_json_escaped(text_, msg);
    text_ += '"';
  } else {
    text_ += msg;
  }
}

log_line& log_line::field(std::string_view key, std::string_view value) {
  if (!enabled_) {
    return *this;
  }
  if (json_) {
    text_ += ",\"";
    append_json_escaped(text_, key);
    text_ += "\":\"";
    append_json_escaped(text_, value);
    text_ += '"';
    return *this;
  }
  text_ += ' ';
  text_ += key;
  text_ += '=';
  if (!value.empty() && value.find_first_of(" \"=") == std::string_view::npos) {
    text_ += value;
    return *this;
  }
  text_ += '"';
  for (const char c : value) {
    if (c == '"' || c == '\\') {
      text_ += '\\';
    }
    text_ += (c == '\n' || c == '\r') ? ' ' : c;
  }
  text_ += '"';
  return *this;
}

log_line& log_line::field(std::string_view key, std::int64_t value) {
  std::array<char, 24> buf{};
  const auto end = std::to_chars(buf.data(), buf.data() + buf.size(), value).ptr;
  return field(key, std::string_view(buf.data(), static_cast<std::size_t>(end - buf.data())));
}

log_line& log_line::field(std::string_view key, std::uint64_t value) {
  std::array<char, 24> buf{};
  const auto end = std::to_chars(buf.data(), buf.data() + buf.size(), value).ptr;
  return field(key, std::string_view(buf.data(), static_cast<std::size_t>(end - buf.data())));
}

log_line& log_line::field(std::string_view key, double value, int decimals) {
  std::array<char, 64> buf{};
  const auto [end, ec] =
      std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::fixed, decimals);
  if (ec != std::errc{}) {
    return field(key, std::string_view("-"));  // beyond 10^60: never a latency or a price
  }
  return field(key, std::string_view(buf.data(), static_cast<std::size_t>(end - buf.data())));
}

void log_line::emit() {
  if (enabled_) {
    spdlog::default_logger_raw()->log(static_cast<spdlog::level::level_enum>(level_),
                                      spdlog::string_view_t(text_.data(), text_.size()));
  }
}

}  // namespace visionwatch
