#include "probes/bearer_token.hpp"

#include <fstream>
#include <iterator>
#include <system_error>

namespace visionwatch {

namespace fs = std::filesystem;

bearer_token_file::bearer_token_file(std::string path) : path_(std::move(path)) {}

std::optional<std::string> bearer_token_file::load() {
  std::lock_guard lock(mutex_);
  return read_locked();
}

std::optional<std::string> bearer_token_file::read_locked() {
  std::error_code ec;
  // Checked before opening: opening a FIFO would block the probe.
  const auto status = fs::status(path_, ec);
  if (ec || !fs::is_regular_file(status)) {
    return "bearer_token_file " + path_ + " is not a readable regular file";
  }
  const auto size = fs::file_size(path_, ec);
  const auto mtime = fs::last_write_time(path_, ec);
  if (ec) {
    return "cannot read bearer_token_file " + path_ + ": " + ec.message();
  }
  if (size > max_token_bytes) {
    return "bearer_token_file " + path_ + " is larger than 64 KiB";
  }
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    return "cannot read bearer_token_file " + path_;
  }
  std::string text;
  text.reserve(static_cast<std::size_t>(size));
  text.assign(std::istreambuf_iterator<char>(in), {});
  if (text.size() > max_token_bytes) {
    return "bearer_token_file " + path_ + " is larger than 64 KiB";
  }
  // A trailing newline (echo > file) and surrounding blanks are not part of the token.
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    return "bearer_token_file " + path_ + " is empty";
  }
  const auto last = text.find_last_not_of(" \t\r\n");
  std::string token = text.substr(first, last - first + 1);
  for (const char c : token) {
    // Printable ASCII only: a line break would split the header (header injection).
    if (c < 0x21 || c > 0x7E) {
      return "bearer_token_file " + path_ + " holds more than one line or a control character";
    }
  }
  token_ = std::move(token);
  mtime_ = mtime;
  size_ = size;
  loaded_ = true;
  return std::nullopt;
}

std::string bearer_token_file::current() {
  std::lock_guard lock(mutex_);
  std::error_code ec;
  const auto mtime = fs::last_write_time(path_, ec);
  const auto size = ec ? std::uintmax_t{0} : fs::file_size(path_, ec);
  if (!ec && (!loaded_ || mtime != mtime_ || size != size_)) {
    (void)read_locked();  // on failure the last good token stays
  }
  return token_;
}

}  // namespace visionwatch
