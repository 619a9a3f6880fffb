#pragma once
/// A yes/no function checked over examples of both answers, for the tests of small predicates
/// (Accept-Encoding, Content-Type, ...).

#include <doctest/doctest.h>

#include <initializer_list>

namespace visionwatch::test {

/// `predicate` is true for every value of `yes` and false for every value of `no`; a failing
/// check names its value.
template <class Predicate>
void check_yes_no(const Predicate& predicate,
                  std::initializer_list<const char*> yes,
                  std::initializer_list<const char*> no) {
  for (const char* value : yes) {
    CAPTURE(value);
    CHECK(predicate(value));
  }
  for (const char* value : no) {
    CAPTURE(value);
    CHECK_FALSE(predicate(value));
  }
}

}  // namespace visionwatch::test
