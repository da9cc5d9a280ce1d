// Diagnostics: formatting with what is known of the position, collection, did-you-mean.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <lockstep/plugin/diagnostics.hpp>

namespace lockstep::test {
namespace {

TEST_CASE("format shows file:line:col, the severity, the message and the hint", "[diagnostics]") {
  CHECK(format({Severity::error, {"f", 3, 7}, "msg", "hint"}) == "f:3:7: error: msg (hint)");
  CHECK(format({Severity::error, {"f", 3, 7}, "msg", ""}) == "f:3:7: error: msg");
  CHECK(format({Severity::warning, {"f", 3, 0}, "msg", ""}) == "f:3: warning: msg");
  CHECK(format({Severity::error, {"f", 0, 0}, "msg", ""}) == "f: error: msg");
  CHECK(format({Severity::error, {"", 0, 0}, "msg", "try this"}) == "error: msg (try this)");
}

TEST_CASE("Diagnostics collects everything and counts only errors", "[diagnostics]") {
  Diagnostics diagnostics;
  CHECK_FALSE(diagnostics.has_errors());
  diagnostics.warning({"a.yaml", 1, 2}, "odd");
  CHECK_FALSE(diagnostics.has_errors());
  diagnostics.error({"a.yaml", 3, 4}, "bad", "fix it");
  Diagnostics other;
  other.error({"b.yaml", 5, 6}, "worse");
  diagnostics.append(other);
  CHECK(diagnostics.has_errors());
  CHECK(diagnostics.error_count() == 2);
  CHECK(diagnostics.all().size() == 3);
  CHECK(diagnostics.to_string() ==
        "a.yaml:1:2: warning: odd\n"
        "a.yaml:3:4: error: bad (fix it)\n"
        "b.yaml:5:6: error: worse\n");
}

TEST_CASE("did_you_mean suggests the closest candidate when it is close enough", "[diagnostics]") {
  const std::vector<std::string> keys{"workers", "queue", "max_wait", "name"};
  CHECK(did_you_mean("worker", keys) == "did you mean 'workers'?");
  CHECK(did_you_mean("wokrers", keys) == "did you mean 'workers'?");  // a swap is one edit
  CHECK(did_you_mean("Queue", keys) == "did you mean 'queue'?");      // case does not count
  CHECK(did_you_mean("max_wiat", keys) == "did you mean 'max_wait'?");
  CHECK(did_you_mean("threads", keys).empty());
  CHECK(did_you_mean("x", keys).empty());
  CHECK(did_you_mean("workers", std::vector<std::string>{}).empty());
}

TEST_CASE("did_you_mean suggests nothing for a word longer than a name people type",
          "[diagnostics]") {
  // The bound keeps a file of huge names from asking for a huge table (found by the fuzzer).
  const std::string long_name(65, 'w');
  std::string near = long_name;
  near.back() = 'x';
  CHECK(did_you_mean(long_name, std::vector<std::string>{near}).empty());
  const std::string longest(64, 'w');
  std::string close = longest;
  close.back() = 'x';
  CHECK(did_you_mean(longest, std::vector<std::string>{close}) == "did you mean '" + close + "'?");
}

}  // namespace
}  // namespace lockstep::test
