// Durations as pipelines write them: parse_duration and its inverse, format_duration.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include <lockstep/plugin/params.hpp>

namespace lockstep::test {
namespace {

using namespace std::chrono_literals;

TEST_CASE("parse_duration reads every unit and their sums", "[duration]") {
  CHECK(parse_duration("250ms") == Duration(250ms));
  CHECK(parse_duration("5s") == Duration(5s));
  CHECK(parse_duration("2m") == Duration(2min));
  CHECK(parse_duration("1h") == Duration(1h));
  CHECK(parse_duration("1h30m") == Duration(90min));
  CHECK(parse_duration("1.5s") == Duration(1500ms));
  CHECK(parse_duration("1m30.5s") == Duration(90500ms));
  CHECK(parse_duration("10us") == Duration(10us));
  CHECK(parse_duration("7ns") == Duration(7ns));
  CHECK(parse_duration("0") == Duration::zero());
  CHECK(parse_duration("0s") == Duration::zero());
}

TEST_CASE("parse_duration rejects anything else", "[duration]") {
  for (const char* text : {"", "5", "s", "5x", "five seconds", "5 s", " 5s", "5s ", "-5s", "1h30",
                           "ms5", "1..5s", "infs", "nans"}) {
    INFO("'" << text << "'");
    CHECK_FALSE(parse_duration(text).has_value());
  }
}

TEST_CASE("a well-formed duration too long to hold saturates; params refuse past kMaxDuration",
          "[duration]") {
  CHECK(parse_duration("1e30h") == Duration::max());
  CHECK(parse_duration("2562048h") == Duration::max());
  CHECK(parse_duration("100000h") == kMaxDuration);
  const std::vector<ParamSpec> specs{ParamSpec::duration("d")};
  Diagnostics diagnostics;
  const std::vector<RawEntry> given{{"d", RawValue::scalar("100001h", {"p.yaml", 3, 9})}};
  validate_params(specs, given, {}, "job 'j': ", diagnostics);
  CHECK(diagnostics.to_string() ==
        "p.yaml:3:9: error: job 'j': parameter 'd' must be at most 100000h, got '100001h'\n");
}

TEST_CASE("format_duration writes the shortest text, which parses back", "[duration]") {
  CHECK(format_duration(250ms) == "250ms");
  CHECK(format_duration(5s) == "5s");
  CHECK(format_duration(2min) == "2m");
  CHECK(format_duration(1h) == "1h");
  CHECK(format_duration(90min) == "1h30m");
  CHECK(format_duration(1500ms) == "1s500ms");
  CHECK(format_duration(Duration::zero()) == "0s");
  CHECK(format_duration(-2s) == "-2s");
  for (Duration d : {Duration(1ns), Duration(1500us), Duration(3723s), Duration(36h)}) {
    INFO(format_duration(d));
    CHECK(parse_duration(format_duration(d)) == d);
  }
}

}  // namespace
}  // namespace lockstep::test
