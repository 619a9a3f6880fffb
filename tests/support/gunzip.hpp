#pragma once
/// Inflates a gzip body with zlib, as a scraper does: the check behind the tests of gzip-encoded
/// responses.

#include <optional>
#include <string>
#include <string_view>

namespace visionwatch::test {

/// The data of exactly one gzip member (header, deflate stream, CRC-32 and size checked);
/// nullopt when `body` is not that: not gzip, corrupt, truncated, or bytes after the member.
std::optional<std::string> gunzip(std::string_view body);

}  // namespace visionwatch::test
