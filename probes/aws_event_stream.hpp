#pragma once
/// A sans-io reader of the AWS event stream binary framing (`application/vnd.amazon.eventstream`,
/// Bedrock `converse-stream`). Each message: a 12-byte prelude (total length, headers length,
/// both big-endian u32, then the prelude's CRC32), the headers, the payload and the CRC32 of
/// everything before it. Pure, no I/O: fed body bytes split anywhere. Memory is bounded by the
/// cap on one message; a bad CRC, an impossible length or a message over the cap is a clear
/// error, checked on the prelude before any of the message is buffered.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace visionwatch::aws_event_stream {

/// The header value types of the format, with their wire numbers.
enum class header_type : std::uint8_t {
  bool_true = 0,
  bool_false = 1,
  byte = 2,
  int16 = 3,
  int32 = 4,
  int64 = 5,
  byte_array = 6,
  string = 7,
  timestamp = 8,  ///< milliseconds since the epoch, int64
  uuid = 9,       ///< 16 bytes
};

struct header {
  std::string name;
  header_type type = header_type::string;
  std::int64_t integer = 0;  ///< byte, int16, int32, int64, timestamp; 1/0 for the bools
  std::string bytes;         ///< byte_array, string, uuid
};

struct message {
  std::vector<header> headers;
  std::string payload;
  /// The value of the first string header with this name (":message-type", ":event-type",
  /// ":exception-type"), or empty.
  [[nodiscard]] std::string_view string_header(std::string_view name) const noexcept;
};

/// The smallest frame: prelude and message CRC, no headers, no payload.
inline constexpr std::size_t min_message_bytes = 16;
/// The default cap on one message. AWS allows 16 MiB + headers; a probe's events are a few
/// hundred bytes, so a bigger one is garbage or hostile.
inline constexpr std::size_t default_max_message_bytes = std::size_t{1024} * 1024;

/// CRC32 (IEEE, zlib's) of `bytes` continuing from `crc`.
std::uint32_t crc32(std::string_view bytes, std::uint32_t crc = 0) noexcept;

/// Encodes one message (for tests, the fuzzer's seeds and the simulated gateway).
std::string encode(const message& m);

/// A header of type string.
header make_string_header(std::string name, std::string value);
/// An event as AWS services send one: `:message-type` event, `:event-type` `type`,
/// `:content-type` application/json, the JSON `payload`.
message event_message(std::string type, std::string payload);
/// A modelled exception: `:message-type` exception, `:exception-type` `type`, `:content-type`
/// application/json, `payload` such as {"message": "..."}.
message exception_message(std::string type, std::string payload);

/// Reads one event stream. Not thread-safe; one per response.
class reader {
 public:
  explicit reader(std::size_t max_message_bytes = default_max_message_bytes)
      : max_message_bytes_(max_message_bytes) {}

  /// Parses `bytes` and appends every message they complete to `out`. Returns false once the
  /// stream is broken (see error()); after that every call returns false and appends nothing.
  bool feed(std::string_view bytes, std::vector<message>& out);
  /// The end of the stream: false (error() says so) when it stops inside a message.
  bool finish();
  /// Why the stream is broken; empty while it is fine.
  [[nodiscard]] const std::string& error() const noexcept { return error_; }

 private:
  bool fail(std::string why);
  bool decode(std::vector<message>& out);

  std::size_t max_message_bytes_;
  std::string frame_;           ///< the bytes of the message being read
  std::uint32_t expected_ = 0;  ///< its total length, once the prelude is checked
  std::string error_;
};

}  // namespace visionwatch::aws_event_stream
