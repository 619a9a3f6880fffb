#pragma once
/// Writers for the Prometheus text exposition format 0.0.4: label escaping, sample values, HELP
/// and TYPE lines, and the check Prometheus applies to label names. Label values must be
/// well-formed UTF-8 (Prometheus rejects the whole scrape otherwise): callers check them with
/// is_valid_utf8() from probes/text_util.hpp before they become labels.
/// Appends to a caller-owned std::string so a whole scrape is built without temporaries
/// (prometheus-cpp's Registry::Collect + TextSerializer take ~1 s for 10,000 routes).

#include <initializer_list>
#include <string>
#include <string_view>

namespace visionwatch::exposition {

/// `[a-zA-Z_][a-zA-Z0-9_]*` and not starting with `__` (reserved for Prometheus itself).
bool valid_label_name(std::string_view name) noexcept;

/// Appends `value` with backslash, double quote and line feed escaped (label value rules).
void append_escaped_label_value(std::string& out, std::string_view value);

/// `name="escaped value"`: a pre-rendered label fragment for append_sample().
std::string label(std::string_view name, std::string_view value);

/// Shortest text that parses back to the same double: integers and values from 1e-4 to 1e15
/// without exponent, others as `1e-05`; `NaN`, `+Inf`, `-Inf`.
void append_value(std::string& out, double value);

/// `# HELP name help` (backslash and line feed escaped) and `# TYPE name type`.
void append_family_header(std::string& out,
                          std::string_view name,
                          std::string_view help,
                          std::string_view type);

/// `name{f1,f2,...} value` + line feed, where each fragment is a pre-rendered `label="value"`
/// (see label()); empty fragments are skipped and the braces omitted when none remain.
void append_sample(std::string& out,
                   std::string_view name,
                   std::initializer_list<std::string_view> label_fragments,
                   double value);
/// Same, for the sample name `name` + `suffix` (a histogram's `_bucket`, `_sum`, `_count`).
void append_sample(std::string& out,
                   std::string_view name,
                   std::string_view suffix,
                   std::initializer_list<std::string_view> label_fragments,
                   double value);

}  // namespace visionwatch::exposition
