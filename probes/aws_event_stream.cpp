#include "probes/aws_event_stream.hpp"

#include <zlib.h>

#include <algorithm>
#include <limits>

namespace visionwatch::aws_event_stream {
namespace {

constexpr std::size_t prelude_bytes = 12;

std::uint32_t be32(std::string_view b, std::size_t at) noexcept {
  return std::uint32_t{static_cast<unsigned char>(b[at])} << 24 |
         std::uint32_t{static_cast<unsigned char>(b[at + 1])} << 16 |
         std::uint32_t{static_cast<unsigned char>(b[at + 2])} << 8 |
         std::uint32_t{static_cast<unsigned char>(b[at + 3])};
}

std::uint64_t be_n(std::string_view b, std::size_t at, std::size_t n) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    v = v << 8 | static_cast<unsigned char>(b[at + i]);
  }
  return v;
}

void put_be(std::string& out, std::uint64_t v, std::size_t n) {
  for (std::size_t i = n; i-- > 0;) {
    out += static_cast<char>((v >> (8 * i)) & 0xFF);
  }
}

/// The signed value of an n-byte two's complement integer.
std::int64_t signed_n(std::uint64_t v, std::size_t n) noexcept {
  if (n < 8 && (v >> (8 * n - 1)) != 0) {
    v |= ~std::uint64_t{0} << (8 * n);
  }
  std::int64_t out = 0;
  static_assert(sizeof out == sizeof v);
  __builtin_memcpy(&out, &v, sizeof out);
  return out;
}

std::string hex32(std::uint32_t v) {
  static constexpr std::string_view digits = "0123456789abcdef";
  std::string s = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) {
    s += digits[(v >> shift) & 0xF];
  }
  return s;
}

/// Parses the headers block; empty when fine, else what is wrong.
std::string parse_headers(std::string_view b, std::vector<header>& out) {
  std::size_t i = 0;
  while (i < b.size()) {
    const std::size_t name_len = static_cast<unsigned char>(b[i]);
    if (name_len == 0) {
      return "event stream header with an empty name";
    }
    if (b.size() - i < 1 + name_len + 1) {
      return "event stream header runs past its block";
    }
    header h;
    h.name.assign(b.substr(i + 1, name_len));
    i += 1 + name_len;
    const auto type = static_cast<unsigned char>(b[i++]);
    if (type > static_cast<unsigned char>(header_type::uuid)) {
      return "event stream header '" + h.name + "' has unknown type " + std::to_string(type);
    }
    h.type = static_cast<header_type>(type);
    std::size_t fixed = 0;
    switch (h.type) {
      case header_type::bool_true:
        h.integer = 1;
        break;
      case header_type::bool_false:
        break;
      case header_type::byte:
        fixed = 1;
        break;
      case header_type::int16:
        fixed = 2;
        break;
      case header_type::int32:
        fixed = 4;
        break;
      case header_type::int64:
      case header_type::timestamp:
        fixed = 8;
        break;
      case header_type::uuid:
        if (b.size() - i < 16) {
          return "event stream header '" + h.name + "' runs past its block";
        }
        h.bytes.assign(b.substr(i, 16));
        i += 16;
        break;
      case header_type::byte_array:
      case header_type::string: {
        if (b.size() - i < 2) {
          return "event stream header '" + h.name + "' runs past its block";
        }
        const auto len = static_cast<std::size_t>(be_n(b, i, 2));
        i += 2;
        if (b.size() - i < len) {
          return "event stream header '" + h.name + "' runs past its block";
        }
        h.bytes.assign(b.substr(i, len));
        i += len;
        break;
      }
    }
    if (fixed > 0) {
      if (b.size() - i < fixed) {
        return "event stream header '" + h.name + "' runs past its block";
      }
      h.integer = signed_n(be_n(b, i, fixed), fixed);
      i += fixed;
    }
    out.push_back(std::move(h));
  }
  return {};
}

}  // namespace

std::uint32_t crc32(std::string_view bytes, std::uint32_t crc) noexcept {
  // zlib takes uInt lengths: feed huge inputs in pieces.
  while (!bytes.empty()) {
    const auto n = std::min<std::size_t>(bytes.size(), std::numeric_limits<uInt>::max());
    crc = static_cast<std::uint32_t>(
        ::crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(n)));
    bytes.remove_prefix(n);
  }
  return crc;
}

std::string_view message::string_header(std::string_view name) const noexcept {
  for (const auto& h : headers) {
    if (h.name == name && h.type == header_type::string) {
      return h.bytes;
    }
  }
  return {};
}

std::string encode(const message& m) {
  std::string headers;
  for (const auto& h : m.headers) {
    headers += static_cast<char>(std::min<std::size_t>(h.name.size(), 255));
    headers.append(h.name, 0, 255);
    headers += static_cast<char>(h.type);
    switch (h.type) {
      case header_type::bool_true:
      case header_type::bool_false:
        break;
      case header_type::byte:
        put_be(headers, static_cast<std::uint64_t>(h.integer), 1);
        break;
      case header_type::int16:
        put_be(headers, static_cast<std::uint64_t>(h.integer), 2);
        break;
      case header_type::int32:
        put_be(headers, static_cast<std::uint64_t>(h.integer), 4);
        break;
      case header_type::int64:
      case header_type::timestamp:
        put_be(headers, static_cast<std::uint64_t>(h.integer), 8);
        break;
      case header_type::uuid:
        headers.append((h.bytes + std::string(16, '\0')).substr(0, 16));
        break;
      case header_type::byte_array:
      case header_type::string: {
        const auto len = std::min<std::size_t>(h.bytes.size(), 0xFFFF);
        put_be(headers, len, 2);
        headers.append(h.bytes, 0, len);
        break;
      }
    }
  }
  std::string out;
  const std::size_t total = prelude_bytes + headers.size() + m.payload.size() + 4;
  put_be(out, total, 4);
  put_be(out, headers.size(), 4);
  put_be(out, crc32(out), 4);
  out += headers;
  out += m.payload;
  put_be(out, crc32(out), 4);
  return out;
}

header make_string_header(std::string name, std::string value) {
  header h;
  h.name = std::move(name);
  h.type = header_type::string;
  h.bytes = std::move(value);
  return h;
}

namespace {

/// A message of `kind` (`:message-type`) whose `type_header` names `type`, with a JSON payload.
message typed_message(std::string kind,
                      std::string type_header,
                      std::string type,
                      std::string payload) {
  message m;
  m.headers = {make_string_header(":message-type", std::move(kind)),
               make_string_header(std::move(type_header), std::move(type)),
               make_string_header(":content-type", "application/json")};
  m.payload = std::move(payload);
  return m;
}

}  // namespace

message event_message(std::string type, std::string payload) {
  return typed_message("event", ":event-type", std::move(type), std::move(payload));
}

message exception_message(std::string type, std::string payload) {
  return typed_message("exception", ":exception-type", std::move(type), std::move(payload));
}

bool reader::fail(std::string why) {
  error_ = std::move(why);
  frame_.clear();
  frame_.shrink_to_fit();
  return false;
}

bool reader::feed(std::string_view bytes, std::vector<message>& out) {
  if (!error_.empty()) {
    return false;
  }
  while (!bytes.empty()) {
    const std::size_t want = expected_ == 0 ? prelude_bytes : expected_;
    const std::size_t take = std::min(bytes.size(), want - frame_.size());
    frame_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (frame_.size() < want) {
      return true;
    }
    if (expected_ == 0) {
      const std::uint32_t total = be32(frame_, 0);
      const std::uint32_t headers = be32(frame_, 4);
      const std::uint32_t crc = be32(frame_, 8);
      if (const auto actual = crc32(std::string_view(frame_).substr(0, 8)); actual != crc) {
        return fail("event stream prelude CRC mismatch (" + hex32(actual) + " != " + hex32(crc) +
                    ")");
      }
      if (total < min_message_bytes || headers > total - min_message_bytes) {
        return fail("event stream message length " + std::to_string(total) +
                    " cannot hold its headers (" + std::to_string(headers) + " bytes)");
      }
      if (total > max_message_bytes_) {
        return fail("event stream message of " + std::to_string(total) + " bytes exceeds the " +
                    std::to_string(max_message_bytes_) + "-byte cap");
      }
      expected_ = total;
      continue;
    }
    if (!decode(out)) {
      return false;
    }
  }
  return true;
}

bool reader::decode(std::vector<message>& out) {
  const std::string_view f(frame_);
  const std::uint32_t crc = be32(f, f.size() - 4);
  if (const auto actual = crc32(f.substr(0, f.size() - 4)); actual != crc) {
    return fail("event stream message CRC mismatch (" + hex32(actual) + " != " + hex32(crc) + ")");
  }
  const std::size_t headers_len = be32(f, 4);
  message m;
  if (auto bad = parse_headers(f.substr(prelude_bytes, headers_len), m.headers); !bad.empty()) {
    return fail(std::move(bad));
  }
  m.payload.assign(
      f.substr(prelude_bytes + headers_len, f.size() - prelude_bytes - headers_len - 4));
  out.push_back(std::move(m));
  frame_.clear();
  expected_ = 0;
  return true;
}

bool reader::finish() {
  if (!error_.empty()) {
    return false;
  }
  if (!frame_.empty()) {
    return fail("event stream ended inside a message (" + std::to_string(frame_.size()) +
                " bytes of " + (expected_ == 0 ? "a prelude" : std::to_string(expected_)) + ")");
  }
  return true;
}

}  // namespace visionwatch::aws_event_stream
