#include "daemon/admin/admin_router.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <variant>

namespace visionwatch {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  // path starts with '/'; "/a/b" → {"a", "b"}, "/" → {""}, "/a/" → {"a", ""}.
  std::vector<std::string_view> out;
  std::size_t start = 1;
  for (;;) {
    const auto slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(path.substr(start));
      return out;
    }
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

/// Calls `f(name, value)` with each raw `name=value` pair of a query (empty pairs skipped; no
/// `=`: an empty value) until it returns false.
template <typename F>
void for_each_query_pair(std::string_view q, F f) {
  while (!q.empty()) {
    const auto amp = q.find('&');
    const auto pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    const auto eq = pair.find('=');
    if (!f(pair.substr(0, eq),
           eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1))) {
      return;
    }
  }
}

bool is_param(std::string_view segment) noexcept {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

/// Splits the request target into raw path and query. Accepts origin-form ("/p?q") and, as
/// RFC 9112 requires of servers, absolute-form ("http://host/p?q"); anything else is nullopt.
std::optional<std::pair<std::string_view, std::string_view>> split_target(std::string_view t) {
  if (t.empty()) {
    return std::nullopt;
  }
  if (t.front() != '/') {
    std::string_view rest;
    if (t.starts_with("http://")) {
      rest = t.substr(7);
    } else if (t.starts_with("https://")) {
      rest = t.substr(8);
    } else {
      return std::nullopt;
    }
    const auto slash = rest.find_first_of("/?");
    if (slash == std::string_view::npos) {
      return std::pair{std::string_view("/"), std::string_view{}};
    }
    if (rest[slash] == '?') {
      return std::pair{std::string_view("/"), rest.substr(slash + 1)};
    }
    t = rest.substr(slash);
  }
  const auto q = t.find('?');
  if (q == std::string_view::npos) {
    return std::pair{t, std::string_view{}};
  }
  return std::pair{t.substr(0, q), t.substr(q + 1)};
}

std::string join_methods(std::vector<http::verb> methods) {
  std::sort(methods.begin(), methods.end(), [](http::verb a, http::verb b) {
    return http::to_string(a) < http::to_string(b);
  });
  methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
  std::string out;
  for (const auto m : methods) {
    if (!out.empty()) {
      out += ", ";
    }
    out += http::to_string(m);
  }
  return out;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) {
        return std::nullopt;
      }
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) {
        return std::nullopt;
      }
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_as_space) {
      c = ' ';
    }
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return std::nullopt;
    }
    out.push_back(c);
  }
  return out;
}

std::string_view admin_request::param(std::string_view name) const {
  const auto it = params.find(name);
  return it == params.end() ? std::string_view{} : std::string_view(it->second);
}

std::optional<std::string> admin_request::query_param(std::string_view name) const {
  std::optional<std::string> found;
  for_each_query_pair(query, [&found, name](std::string_view key, std::string_view value) {
    if (percent_decode(key, true) != name) {
      return true;
    }
    found = percent_decode(value, true);
    return false;
  });
  return found;
}

std::optional<std::vector<std::pair<std::string, std::string>>> admin_request::query_params()
    const {
  std::vector<std::pair<std::string, std::string>> out;
  bool valid = true;
  for_each_query_pair(query, [&out, &valid](std::string_view key, std::string_view value) {
    auto k = percent_decode(key, true);
    auto v = percent_decode(value, true);
    valid = k && v;
    if (valid) {
      out.emplace_back(std::move(*k), std::move(*v));
    }
    return valid;
  });
  return valid ? std::optional(std::move(out)) : std::nullopt;
}

admin_response text_response(http::status status, std::string body, std::string_view content_type) {
  admin_response res{status, 11};
  res.set(http::field::content_type, content_type);
  res.body() = std::move(body);
  return res;
}

admin_response json_response(http::status status, const nlohmann::json& body) {
  // replace, not throw: a handler's JSON may carry names from the wire that are not UTF-8.
  return text_response(status,
                       body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                       "application/json");
}

admin_response error_response(http::status status, std::string_view message) {
  return json_response(status, nlohmann::json{{"error", message}});
}

admin_router::admin_router(std::vector<admin_endpoint> table) {
  for (auto& endpoint : table) {
    add(std::move(endpoint));
  }
}

void admin_router::add(admin_endpoint endpoint) {
  route r;
  r.method = endpoint.method;
  r.pattern = std::move(endpoint.pattern);
  r.handler = std::move(endpoint.handler);
  const std::string& p = r.pattern;
  if (!std::visit([](const auto& f) { return static_cast<bool>(f); }, r.handler)) {
    throw std::invalid_argument("admin route " + p + ": empty handler");
  }
  if (p.empty() || p.front() != '/') {
    throw std::invalid_argument("admin route pattern '" + p + "' must start with '/'");
  }
  if (r.method == http::verb::unknown) {
    throw std::invalid_argument("admin route pattern '" + p + "': unknown method");
  }
  const auto segments = split_path(p);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const auto s = segments[i];
    if (s == "*") {
      if (i + 1 != segments.size()) {
        throw std::invalid_argument("admin route pattern '" + p +
                                    "': '*' must be the last segment");
      }
      r.prefix = true;
    } else if (s == "{}" || (s.find_first_of("{}*") != std::string_view::npos && !is_param(s))) {
      throw std::invalid_argument("admin route pattern '" + p +
                                  "': a segment is either literal, {name} or a final *");
    }
    r.segments.emplace_back(s);
  }
  if (r.prefix) {
    r.segments.pop_back();
  }
  for (const auto& existing : routes_) {
    if (existing.method == r.method && existing.pattern == r.pattern) {
      throw std::invalid_argument("admin route " + std::string(http::to_string(r.method)) + " " +
                                  p + " registered twice");
    }
  }
  routes_.push_back(std::move(r));
}

admin_router::match_result admin_router::match(admin_request& request) const {
  match_result result;
  const auto target = split_target(request.message.target());
  if (!target) {
    result.kind = match_kind::bad_request;
    result.error = "invalid request target";
    return result;
  }
  const auto [raw_path, raw_query] = *target;
  const auto segments = split_path(raw_path);
  // Decode every segment once: an invalid escape anywhere is a 400, whatever the route.
  std::vector<std::string> decoded;
  decoded.reserve(segments.size());
  for (const auto s : segments) {
    auto d = percent_decode(s);
    if (!d) {
      result.kind = match_kind::bad_request;
      result.error = "invalid percent-encoding in path";
      return result;
    }
    decoded.push_back(std::move(*d));
  }

  const http::verb method = request.message.method();
  std::vector<http::verb> allowed;
  const route* found = nullptr;
  const route* get_for_head = nullptr;
  for (const auto& r : routes_) {
    // A prefix pattern needs at least one more segment ("/media/" itself leaves an empty rest).
    if (r.prefix ? segments.size() <= r.segments.size() : segments.size() != r.segments.size()) {
      continue;
    }
    bool same = true;
    for (std::size_t i = 0; i < r.segments.size() && same; ++i) {
      const auto& ps = r.segments[i];
      same = is_param(ps) ? !decoded[i].empty() : ps == decoded[i];
    }
    if (!same) {
      continue;
    }
    allowed.push_back(r.method);
    if (r.method == http::verb::get) {
      allowed.push_back(http::verb::head);
    }
    if (r.method == method && found == nullptr) {
      found = &r;
    }
    if (method == http::verb::head && r.method == http::verb::get && get_for_head == nullptr) {
      get_for_head = &r;
    }
  }
  if (found == nullptr) {
    found = get_for_head;
  }
  if (found == nullptr) {
    if (allowed.empty()) {
      result.kind = match_kind::not_found;
    } else {
      result.kind = match_kind::method_not_allowed;
      result.allow = join_methods(std::move(allowed));
    }
    return result;
  }

  request.path = std::string(raw_path);
  request.query = std::string(raw_query);
  request.params.clear();
  request.rest.clear();
  for (std::size_t i = 0; i < found->segments.size(); ++i) {
    const auto& ps = found->segments[i];
    if (is_param(ps)) {
      request.params.insert_or_assign(ps.substr(1, ps.size() - 2), decoded[i]);
    }
  }
  if (found->prefix) {
    // The remainder: the segments after the pattern's, decoded above, joined by their '/'
    // separators again (the same string as decoding the remainder whole).
    for (std::size_t i = found->segments.size(); i < decoded.size(); ++i) {
      if (i != found->segments.size()) {
        request.rest += '/';
      }
      request.rest += decoded[i];
    }
  }
  result.kind = match_kind::matched;
  result.handler = found;
  return result;
}

}  // namespace visionwatch
