// Parameter validation: every kind of mistake is an error at the position of the value concerned,
// with a message that starts with the context and says what is wrong; defaults are filled in.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <lockstep/plugin/job.hpp>
#include <lockstep/plugin/params.hpp>

#include "support.hpp"

namespace lockstep::test {
namespace {

using Catch::Matchers::Contains;
using namespace std::chrono_literals;

const char* const kContext = "job 'greet' (demo.greet): ";

std::vector<ParamSpec> specs() {
  return {
      ParamSpec::string("name").doc("who to greet").required(),
      ParamSpec::integer("count").doc("how often").range(1, 10).default_value(std::int64_t{3}),
      ParamSpec::number("ratio").min(0).max(1),
      ParamSpec::boolean("verbose").default_value(false),
      ParamSpec::duration("timeout").range(0.5, 60),
      ParamSpec::string("mode").one_of({"fast", "slow"}).default_value("fast"),
      ParamSpec::string_list("argv"),
      ParamSpec::string_list("levels").one_of({"info", "warning", "error"}),
      ParamSpec::string_map("env"),
  };
}

struct Checked {
  Params params;
  Diagnostics diagnostics;
};

// Validates `given` against specs(), with `name` added unless the test is about it.
Checked check(std::vector<RawEntry> given, bool add_name = true) {
  if (add_name) given.insert(given.begin(), entry("name", scalar("Ada", 1, 9)));
  Checked result;
  auto all = specs();
  result.params = validate_params(all, given, at(1, 1), kContext, result.diagnostics);
  return result;
}

const Diagnostic& only_error(const Diagnostics& diagnostics) {
  INFO(diagnostics.to_string());
  REQUIRE(diagnostics.all().size() == 1);
  REQUIRE(diagnostics.error_count() == 1);
  return diagnostics.all().front();
}

void require_at(const Diagnostic& d, int line, int column) {
  INFO(format(d));
  CHECK(d.where.file == kSource);
  CHECK(d.where.line == line);
  CHECK(d.where.column == column);
}

TEST_CASE("valid parameters are converted to their declared types", "[params]") {
  auto [params, diagnostics] = check({
      entry("count", scalar("7", 2, 10)),
      entry("ratio", scalar("0.25", 3, 10)),
      entry("verbose", scalar("yes", 4, 10)),
      entry("timeout", scalar("30s500ms", 5, 10)),
      entry("mode", scalar("slow", 6, 10)),
      entry("argv", list({scalar("ls", 7, 11), scalar("-l", 7, 15)}, 7, 10)),
      entry("levels", list({scalar("info", 8, 11)}, 8, 10)),
      entry("env", map({entry("HOME", scalar("/tmp", 9, 16))}, 9, 10)),
  });
  INFO(diagnostics.to_string());
  REQUIRE_FALSE(diagnostics.has_errors());
  CHECK(diagnostics.all().empty());
  CHECK(params.get<std::string>("name") == "Ada");
  CHECK(params.get<std::int64_t>("count") == 7);
  CHECK(params.get<double>("ratio") == 0.25);
  CHECK(params.get<bool>("verbose"));
  CHECK(params.get<Duration>("timeout") == 30500ms);
  CHECK(params.get<std::string>("mode") == "slow");
  CHECK(params.get<StringList>("argv") == StringList{"ls", "-l"});
  CHECK(params.get<StringList>("levels") == StringList{"info"});
  CHECK(params.get<StringMap>("env") == StringMap{{"HOME", "/tmp"}});
}

TEST_CASE("defaults are filled in, and optional parameters without one stay absent", "[params]") {
  auto [params, diagnostics] = check({});
  REQUIRE_FALSE(diagnostics.has_errors());
  CHECK(params.get<std::int64_t>("count") == 3);
  CHECK_FALSE(params.get<bool>("verbose"));
  CHECK(params.get<std::string>("mode") == "fast");
  CHECK_FALSE(params.has("ratio"));
  CHECK_FALSE(params.has("timeout"));
  CHECK_FALSE(params.has("argv"));
  CHECK(params.all().size() == 4);  // name + three defaults
}

TEST_CASE("an integer is accepted where a number is expected", "[params]") {
  auto [params, diagnostics] = check({entry("ratio", scalar("1", 2, 10))});
  REQUIRE_FALSE(diagnostics.has_errors());
  CHECK(params.get<double>("ratio") == 1.0);
}

TEST_CASE("an unknown parameter is an error at its key, with a did-you-mean", "[params]") {
  auto [params, diagnostics] = check({entry("cuont", scalar("5", 4, 10))});
  const auto& d = only_error(diagnostics);
  require_at(d, 4, 3);
  CHECK(d.message == std::string(kContext) + "unknown parameter 'cuont'");
  CHECK(d.hint == "did you mean 'count'?");
  CHECK(params.get<std::int64_t>("count") == 3);  // the typo does not hide the default
}

TEST_CASE("an unknown parameter far from every name lists the known ones", "[params]") {
  auto [params, diagnostics] = check({entry("colour", scalar("blue", 4, 10))});
  const auto& d = only_error(diagnostics);
  CHECK_THAT(d.message, Contains("unknown parameter 'colour'"));
  CHECK_THAT(d.hint, Contains("known: name, count, ratio"));
}

TEST_CASE("a job type without parameters says so for an unknown one", "[params]") {
  Diagnostics diagnostics;
  std::vector<RawEntry> given{entry("x", scalar("1", 3, 7))};
  validate_params({}, given, at(1, 1), kContext, diagnostics);
  const auto& d = only_error(diagnostics);
  CHECK(d.hint == "it takes no parameters");
}

TEST_CASE("a missing required parameter is an error at the job, with its type and doc",
          "[params]") {
  auto [params, diagnostics] = check({}, /*add_name=*/false);
  const auto& d = only_error(diagnostics);
  require_at(d, 1, 1);
  CHECK(d.message == std::string(kContext) + "missing required parameter 'name' (string)");
  CHECK(d.hint == "who to greet");
  CHECK_FALSE(params.has("name"));
}

TEST_CASE("a value of the wrong type is an error at the value", "[params]") {
  SECTION("integer") {
    auto [params, diagnostics] = check({entry("count", scalar("abc", 5, 12))});
    const auto& d = only_error(diagnostics);
    require_at(d, 5, 12);
    CHECK(d.message == std::string(kContext) + "parameter 'count' must be an integer, got 'abc'");
    CHECK_FALSE(params.has("count"));  // no default sneaks in for a wrong value
  }
  SECTION("integer with a fraction") {
    auto [params, diagnostics] = check({entry("count", scalar("2.5", 5, 12))});
    CHECK_THAT(only_error(diagnostics).message, Contains("must be an integer, got '2.5'"));
  }
  SECTION("number") {
    auto [params, diagnostics] = check({entry("ratio", scalar("half", 5, 12))});
    CHECK_THAT(only_error(diagnostics).message,
               Contains("parameter 'ratio' must be a number, got 'half'"));
  }
  SECTION("boolean") {
    auto [params, diagnostics] = check({entry("verbose", scalar("maybe", 5, 12))});
    CHECK_THAT(only_error(diagnostics).message,
               Contains("parameter 'verbose' must be true or false, got 'maybe'"));
  }
  SECTION("duration") {
    auto [params, diagnostics] = check({entry("timeout", scalar("5 parsecs", 5, 12))});
    const auto& d = only_error(diagnostics);
    require_at(d, 5, 12);
    CHECK_THAT(d.message, Contains("parameter 'timeout' must be a duration, got '5 parsecs'"));
    CHECK_THAT(d.hint, Contains("250ms"));
  }
  SECTION("a map where a list of strings is expected") {
    auto [params, diagnostics] = check({entry("argv", map({}, 5, 12))});
    CHECK_THAT(only_error(diagnostics).message,
               Contains("parameter 'argv' must be a list of strings, not a map"));
  }
  SECTION("a list where a map is expected") {
    auto [params, diagnostics] = check({entry("env", list({}, 5, 12))});
    CHECK_THAT(only_error(diagnostics).message,
               Contains("parameter 'env' must be a map of strings, not a list"));
  }
}

TEST_CASE("a quoted number is a string, not an integer", "[params]") {
  auto [params, diagnostics] = check({entry("count", quoted("5", 6, 12))});
  const auto& d = only_error(diagnostics);
  require_at(d, 6, 12);
  CHECK_THAT(d.message, Contains("parameter 'count' must be an integer, got '5'"));

  SECTION("and a quoted true is not a boolean") {
    auto [p, diags] = check({entry("verbose", quoted("true", 6, 12))});
    CHECK_THAT(only_error(diags).message, Contains("must be true or false"));
  }
  SECTION("but a quoted string is fine for a string") {
    auto [p, diags] = check({entry("mode", quoted("slow", 6, 12))});
    CHECK_FALSE(diags.has_errors());
    CHECK(p.get<std::string>("mode") == "slow");
  }
}

TEST_CASE("a scalar where a list is expected is an error that shows the list form", "[params]") {
  auto [params, diagnostics] = check({entry("argv", scalar("ls", 7, 12))});
  const auto& d = only_error(diagnostics);
  require_at(d, 7, 12);
  CHECK(d.message ==
        std::string(kContext) + "parameter 'argv' must be a list of strings, not a scalar");
  CHECK(d.hint == "write [ls]");
}

TEST_CASE("a list where a scalar is expected is an error", "[params]") {
  auto [params, diagnostics] = check({entry("mode", list({scalar("fast", 7, 13)}, 7, 12))});
  const auto& d = only_error(diagnostics);
  require_at(d, 7, 12);
  CHECK_THAT(d.message, Contains("parameter 'mode' must be a string, not a list"));
}

TEST_CASE("a list element that is not a string is an error at the element", "[params]") {
  auto [params, diagnostics] =
      check({entry("argv", list({scalar("ls", 7, 13), list({}, 7, 17)}, 7, 12))});
  const auto& d = only_error(diagnostics);
  require_at(d, 7, 17);
  CHECK_THAT(d.message, Contains("must contain strings only, not a list"));
}

TEST_CASE("a map value that is not a string is an error at the value", "[params]") {
  auto [params, diagnostics] = check({entry("env", map({entry("PATH", list({}, 8, 20))}, 8, 12))});
  const auto& d = only_error(diagnostics);
  require_at(d, 8, 20);
  CHECK_THAT(d.message, Contains("'PATH' maps to a list"));
}

TEST_CASE("a value out of range is an error that shows the bound", "[params]") {
  SECTION("integer above the maximum") {
    auto [params, diagnostics] = check({entry("count", scalar("11", 3, 12))});
    const auto& d = only_error(diagnostics);
    require_at(d, 3, 12);
    CHECK(d.message == std::string(kContext) + "parameter 'count' must be at most 10, got 11");
  }
  SECTION("integer below the minimum") {
    auto [params, diagnostics] = check({entry("count", scalar("0", 3, 12))});
    CHECK_THAT(only_error(diagnostics).message,
               Contains("parameter 'count' must be at least 1, got 0"));
  }
  SECTION("number") {
    auto [params, diagnostics] = check({entry("ratio", scalar("1.5", 3, 12))});
    CHECK_THAT(only_error(diagnostics).message,
               Contains("parameter 'ratio' must be at most 1, got 1.5"));
  }
  SECTION("duration, whose bounds are in seconds and shown as durations") {
    auto [params, diagnostics] = check({entry("timeout", scalar("2m", 3, 12))});
    CHECK_THAT(only_error(diagnostics).message,
               Contains("parameter 'timeout' must be at most 1m, got 2m"));
    auto [p2, d2] = check({entry("timeout", scalar("100ms", 3, 12))});
    CHECK_THAT(only_error(d2).message,
               Contains("parameter 'timeout' must be at least 500ms, got 100ms"));
  }
  SECTION("the bounds themselves are allowed") {
    auto [params, diagnostics] =
        check({entry("count", scalar("10", 3, 12)), entry("ratio", scalar("0", 4, 12)),
               entry("timeout", scalar("1m", 5, 12))});
    CHECK_FALSE(diagnostics.has_errors());
  }
}

TEST_CASE("a value that is not one of the allowed ones is an error with a did-you-mean",
          "[params]") {
  SECTION("string") {
    auto [params, diagnostics] = check({entry("mode", scalar("fsat", 4, 12))});
    const auto& d = only_error(diagnostics);
    require_at(d, 4, 12);
    CHECK(d.message ==
          std::string(kContext) + "parameter 'mode' must be one of fast, slow, got 'fsat'");
    CHECK(d.hint == "did you mean 'fast'?");
    CHECK_FALSE(params.has("mode"));
  }
  SECTION("each element of a list") {
    auto [params, diagnostics] =
        check({entry("levels", list({scalar("info", 5, 13), scalar("loud", 5, 19)}, 5, 12))});
    const auto& d = only_error(diagnostics);
    require_at(d, 5, 19);
    CHECK_THAT(d.message, Contains("must be one of info, warning, error, got 'loud'"));
  }
}

TEST_CASE("a parameter given twice is an error at the second", "[params]") {
  auto [params, diagnostics] =
      check({entry("count", scalar("2", 3, 12)), entry("count", scalar("4", 4, 12))});
  const auto& d = only_error(diagnostics);
  require_at(d, 4, 3);
  CHECK_THAT(d.message, Contains("parameter 'count' is given twice"));
  CHECK(params.get<std::int64_t>("count") == 2);
}

TEST_CASE("a spec's rule is an error at the value, and sees only well-typed values", "[params]") {
  int calls = 0;
  const std::vector<ParamSpec> ruled{
      ParamSpec::string("tool").rule([&calls](const ParamValue& value) -> std::string {
        ++calls;
        return std::get<std::string>(value) == "good" ? "" : "must be good";
      }),
      ParamSpec::integer("level").rule([&calls](const ParamValue&) -> std::string {
        ++calls;
        return {};
      })};
  auto validate = [&](std::vector<RawEntry> given) {
    Checked result;
    result.params = validate_params(ruled, given, at(1, 1), kContext, result.diagnostics);
    return result;
  };

  auto bad = validate({entry("tool", scalar("bad", 5, 11))});
  const auto& d = only_error(bad.diagnostics);
  require_at(d, 5, 11);
  CHECK(d.message == std::string(kContext) + "parameter 'tool' must be good");
  CHECK_FALSE(bad.params.has("tool"));

  auto good = validate({entry("tool", scalar("good", 5, 11))});
  CHECK(good.diagnostics.all().empty());
  CHECK(good.params.get<std::string>("tool") == "good");

  calls = 0;
  auto mistyped = validate({entry("level", scalar("high", 6, 12))});
  CHECK(only_error(mistyped.diagnostics).message.find("must be an integer") != std::string::npos);
  CHECK(calls == 0);
}

TEST_CASE("every mistake is reported, not just the first", "[params]") {
  auto [params, diagnostics] =
      check({entry("cuont", scalar("5", 2, 3)), entry("ratio", scalar("2", 3, 12)),
             entry("verbose", scalar("maybe", 4, 12)), entry("argv", scalar("ls", 5, 12))},
            /*add_name=*/false);
  INFO(diagnostics.to_string());
  CHECK(diagnostics.error_count() == 5);  // four bad values + the missing name
  std::vector<int> lines;
  for (const auto& d : diagnostics.all()) lines.push_back(d.where.line);
  std::ranges::sort(lines);
  CHECK(lines == std::vector<int>{1, 2, 3, 4, 5});
}

TEST_CASE("validate_job_params runs the type's check only when every parameter is fine",
          "[params]") {
  int calls = 0;
  JobType type{"command",
               "runs a command",
               {ParamSpec::string_list("argv"), ParamSpec::string("shell")},
               [&calls](const Params& params) -> std::string {
                 ++calls;
                 return params.has("argv") == params.has("shell")
                            ? "give exactly one of 'argv' and 'shell'"
                            : "";
               }};

  SECTION("fine parameters and a passing check: no error") {
    std::vector<RawEntry> given{entry("shell", scalar("true", 2, 10))};
    Diagnostics diagnostics;
    auto params = validate_job_params(type, given, at(1, 5), kContext, diagnostics);
    CHECK(calls == 1);
    CHECK_FALSE(diagnostics.has_errors());
    CHECK(params.get<std::string>("shell") == "true");
  }
  SECTION("fine parameters and a failing check: its message at the job") {
    std::vector<RawEntry> given{entry("shell", scalar("true", 2, 10)),
                                entry("argv", list({scalar("true", 3, 11)}, 3, 10))};
    Diagnostics diagnostics;
    validate_job_params(type, given, at(1, 5), kContext, diagnostics);
    CHECK(calls == 1);
    const auto& d = only_error(diagnostics);
    require_at(d, 1, 5);
    CHECK(d.message == std::string(kContext) + "give exactly one of 'argv' and 'shell'");
  }
  SECTION("a bad parameter: the check does not run") {
    std::vector<RawEntry> given{entry("argv", scalar("true", 2, 10))};
    Diagnostics diagnostics;
    validate_job_params(type, given, at(1, 5), kContext, diagnostics);
    CHECK(calls == 0);
    CHECK_THAT(only_error(diagnostics).message, Contains("must be a list of strings"));
  }
  SECTION("errors from before do not stop the check") {
    Diagnostics diagnostics;
    diagnostics.error(at(9, 9), "an earlier, unrelated mistake");
    std::vector<RawEntry> given{entry("shell", scalar("true", 2, 10))};
    validate_job_params(type, given, at(1, 5), kContext, diagnostics);
    CHECK(calls == 1);
    CHECK(diagnostics.error_count() == 1);
  }
}

TEST_CASE("Params::get with the wrong type or an absent name is a logic error naming it",
          "[params]") {
  Params params;
  params.set("count", std::int64_t{4});
  CHECK(params.get<std::int64_t>("count") == 4);
  CHECK_THROWS_AS(params.get<std::string>("count"), std::logic_error);
  CHECK_THROWS_WITH(params.get<std::string>("count"),
                    Contains("'count'") && Contains("integer") && Contains("string"));
  CHECK_THROWS_WITH(params.get<bool>("missing"), Contains("'missing'"));
}

TEST_CASE("parameter values print as a user would write them", "[params]") {
  CHECK(to_string(ParamValue(std::string("x"))) == "x");
  CHECK(to_string(ParamValue(std::int64_t{-3})) == "-3");
  CHECK(to_string(ParamValue(0.5)) == "0.5");
  CHECK(to_string(ParamValue(true)) == "true");
  CHECK(to_string(ParamValue(Duration(90s))) == "1m30s");
  CHECK(to_string(ParamValue(StringList{"a", "b"})) == "[a, b]");
  CHECK(to_string(ParamValue(StringMap{{"K", "v"}, {"L", "w"}})) == "{K: v, L: w}");
  CHECK(type_of(ParamValue(StringMap{})) == ParamType::string_map);
  CHECK(to_string(ParamType::string_list) == "list of strings");
}

}  // namespace
}  // namespace lockstep::test
