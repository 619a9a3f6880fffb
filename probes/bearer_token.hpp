#pragma once
/// A bearer token kept in a file that a sidecar refreshes (Azure Entra ID, Vertex AI, an OAuth
/// corporate gateway): gateway option `bearer_token_file`. The file is re-read when its
/// modification time or size changes, checked with one stat() per probe, so a refreshed token is
/// used by the next probe without a reload. The token is a secret: it never appears in a message
/// of this class. Thread-safe.

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

namespace visionwatch {

class bearer_token_file {
 public:
  /// Larger files are refused (a token is a few kilobytes at most; a JWT with many claims ~8 KiB).
  static constexpr std::uintmax_t max_token_bytes = std::uintmax_t{64} * 1024;

  explicit bearer_token_file(std::string path);

  /// Reads the file now. nullopt on success, else why the token cannot be used (the path and the
  /// problem, never the content).
  std::optional<std::string> load();

  /// The current token: the file is re-read when its mtime or size changed since the last good
  /// read. When the new content cannot be used (missing, empty, too large, a line break inside:
  /// a sidecar in the middle of a write), the last good token stays and the file is tried again
  /// on the next call. Empty when no read ever succeeded.
  std::string current();

  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  /// Reads and checks the file; sets token_ and the stamp on success. Requires mutex_.
  std::optional<std::string> read_locked();

  std::string path_;
  std::mutex mutex_;
  std::string token_;
  std::filesystem::file_time_type mtime_{};
  std::uintmax_t size_ = 0;
  bool loaded_ = false;
};

}  // namespace visionwatch
