// `if:` expressions: the parser (every mistake at its offset), the evaluator (truthy operands as
// `repeat.until` reads them, text comparisons, !, &&, ||, parentheses), and what the loader makes
// of a stage's or job's `if:` (decided when it reads only vars and env). The loader's mistakes
// are fixtures: tests/fixtures/pipelines/bad/condition_*.yaml.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "config/condition.hpp"
#include "support.hpp"

namespace lockstep::test {

namespace {

// The value of `text` with these reference values (others read as empty).
bool holds(std::string_view text, const std::map<std::string, std::string, std::less<>>& values) {
  const auto parsed = config::parse_condition(text);
  INFO(text << ": " << parsed.error);
  REQUIRE(parsed.ok());
  return config::evaluate_condition(parsed, [&](std::string_view name) {
    const auto found = values.find(name);
    return found != values.end() ? found->second : std::string();
  });
}

config::ParsedCondition refused(std::string_view text) {
  auto parsed = config::parse_condition(text);
  INFO(text);
  REQUIRE_FALSE(parsed.ok());
  return parsed;
}

}  // namespace

TEST_CASE("an operand alone is true when it is truthy as repeat.until reads it") {
  for (const auto* value : {"true", "TRUE", "yes", "on", "1"}) {
    CHECK(holds("${vars.x}", {{"vars.x", value}}));
  }
  for (const auto* value : {"", "false", "no", "0", "2", "fast"}) {
    CHECK_FALSE(holds("${vars.x}", {{"vars.x", value}}));
  }
  CHECK(holds("true", {}));
  CHECK_FALSE(holds("'no'", {}));
}

TEST_CASE("== and != compare operands as text") {
  const std::map<std::string, std::string, std::less<>> values{{"vars.mode", "fast"},
                                                               {"env.N", "10"}};
  CHECK(holds("${vars.mode} == 'fast'", values));
  CHECK(holds("${vars.mode} == \"fast\"", values));
  CHECK_FALSE(holds("${vars.mode} == 'Fast'", values));
  CHECK(holds("${vars.mode} != 'slow'", values));
  CHECK(holds("${env.N} == 10", values));
  CHECK_FALSE(holds("${env.N} == 10.0", values));  // text, not numbers
  CHECK(holds("${vars.unset} == ''", values));
  CHECK(holds("'a b' == 'a b'", values));
}

TEST_CASE("! binds tightest, then &&, then ||; parentheses group") {
  const std::map<std::string, std::string, std::less<>> values{{"vars.t", "true"},
                                                               {"vars.f", "false"}};
  CHECK(holds("!${vars.f}", values));
  CHECK(holds("!!${vars.t}", values));
  CHECK_FALSE(holds("!${vars.t}", values));
  CHECK(holds("${vars.t} || ${vars.f} && ${vars.f}", values));  // t || (f && f)
  CHECK_FALSE(holds("(${vars.t} || ${vars.f}) && ${vars.f}", values));
  CHECK(holds("!(${vars.t} && ${vars.f})", values));
  CHECK_FALSE(holds("!${vars.t} && ${vars.f} || ${vars.f}", values));
  CHECK(holds("${vars.f} || ${vars.f} || ${vars.t}", values));
  CHECK(holds("${vars.t} && ${vars.t} && ${vars.t}", values));
  CHECK(holds("!(${vars.t} == 'false') && (${vars.f} != 'true')", values));
}

TEST_CASE("the references of an expression are listed with their offsets") {
  const auto parsed = config::parse_condition("${vars.a} == 'x' || !${outputs.s.j.k}");
  REQUIRE(parsed.ok());
  REQUIRE(parsed.references.size() == 2);
  CHECK(parsed.references[0].name == "vars.a");
  CHECK(parsed.references[0].offset == 0);
  CHECK(parsed.references[1].name == "outputs.s.j.k");
  CHECK(parsed.references[1].offset == 21);
}

TEST_CASE("a malformed expression is refused at the offset of its mistake") {
  struct Case {
    const char* text;
    std::size_t offset;
    const char* error;
  };
  const Case cases[] = {
      {"", 0, "the condition is empty"},
      {"${vars.a} = 'x'", 10, "'=' is not an operator"},
      {"${vars.a} & ${vars.b}", 10, "'&' is not an operator"},
      {"${vars.a} | ${vars.b}", 10, "'|' is not an operator"},
      {"${vars.a} == fast", 13, "bare word 'fast'"},
      {"vars.a", 0, "bare word 'vars.a'"},
      {"${vars.a", 0, "unterminated '${'"},
      {"${}", 0, "empty reference '${}'"},
      {"$vars.a", 0, "a '$' that does not start a ${...} reference"},
      {"'open", 0, "unterminated text: no closing '"},
      {"(${vars.a} || ${vars.b}", 0, "'(' is not closed"},
      {"${vars.a})", 9, "')' without a '('"},
      {"${vars.a} ${vars.b}", 10, "unexpected a reference after a complete condition"},
      {"${vars.a} &&", 12, "expected a value or '(', got the end"},
      {"${vars.a} == ", 13, "expected a value to compare with, got the end"},
      {"${vars.a} == 'x' == 'y'", 17, "comparisons do not chain"},
      {"!${vars.a} == 'x'", 11, "'==' cannot compare the result of '!'"},
      {"(${vars.a}) == 'x'", 12, "'==' compares values, not conditions"},
      {"${vars.a} == (${vars.b})", 13, "expected a value to compare with, got '('"},
      {"${vars.a} ; ${vars.b}", 10, "unexpected ';'"},
  };
  for (const auto& c : cases) {
    const auto parsed = refused(c.text);
    INFO(c.text);
    CHECK(parsed.error == c.error);
    CHECK(parsed.error_offset == c.offset);
    CHECK_FALSE(parsed.hint.empty());
  }
  CHECK(refused("${vars.a} == fast").hint == "quote text: 'fast'");
  CHECK(refused("vars.a").hint == "write a reference as ${vars.a}");
}

TEST_CASE("nesting is bounded, so a hostile expression cannot overflow the stack") {
  const std::string deep = std::string(100, '(') + "true" + std::string(100, ')');
  CHECK(refused(deep).error.starts_with("parentheses nest more than"));
  CHECK(refused(std::string(100, '!') + "true").error.starts_with("more than"));
  const auto depth = static_cast<std::size_t>(config::kMaxConditionDepth);
  const std::string fine = std::string(depth, '(') + "true" + std::string(depth, ')');
  CHECK(holds(fine, {}));
  std::string long_chain = "true";
  for (int i = 0; i < 10000; ++i) long_chain += " && true";
  CHECK(holds(long_chain, {}));  // one node of 10,001 operands, not 10,000 levels
}

TEST_CASE("a condition over vars and env is decided when the pipeline is loaded") {
  PipelineOptions options;
  options.set_vars = {{"mode", "fast"}};
  const auto pipeline = parse_good(R"(version: 1
vars:
  mode: slow
stages:
  - name: a
    if: ${vars.mode} == 'fast' && ${env.USER} == 'ann' && !${env.UNSET_HERE}
    jobs:
      - { id: j, type: noop, if: "${vars.mode} != 'fast'" }
      - { id: k, type: noop }
)",
                                   options);
  const auto& stage = pipeline.stages[0];
  REQUIRE(stage.condition.has_value());
  CHECK(stage.condition->expression ==
        "${vars.mode} == 'fast' && ${env.USER} == 'ann' && !${env.UNSET_HERE}");
  CHECK(stage.condition->where.line == 6);
  CHECK(stage.condition->where.column == 9);
  CHECK(stage.condition->holds == std::optional<bool>(true));
  CHECK(stage.condition->values.at("vars.mode") == "fast");
  CHECK(stage.condition->values.at("env.UNSET_HERE").empty());  // unset: empty, not an error
  CHECK(stage.condition->outputs.empty());
  const auto& j = job_of(pipeline, "a", "j");
  REQUIRE(j.condition.has_value());
  CHECK(j.condition->holds == std::optional<bool>(false));
  CHECK_FALSE(job_of(pipeline, "a", "k").condition.has_value());
}

TEST_CASE("a condition over outputs of a needed stage is left for the run") {
  const auto pipeline = parse_good(R"(version: 1
stages:
  - { name: probe, jobs: [{ id: check, type: noop }] }
  - { name: other, needs: [], jobs: [{ id: j, type: noop }] }
  - name: use
    needs: [probe, other]
    jobs:
      - { id: j, type: noop }
  - name: later
    needs: [use]
    if: ${outputs.probe.check.ready} || ${outputs.other.stage.done} == 'yes'
    jobs: [{ id: j, type: noop }]
)");
  const auto& later = pipeline.stages[3];
  REQUIRE(later.condition.has_value());
  CHECK_FALSE(later.condition->holds.has_value());
  REQUIRE(later.condition->outputs.size() == 2);
  CHECK(later.condition->outputs[0].reference == "probe.check.ready");
  CHECK(later.condition->outputs[0].where.column == 9);
  CHECK(later.condition->outputs[1].reference == "other.stage.done");
}

TEST_CASE("an if: cannot read a secret through ${env.*}: its reason would show the value") {
  PipelineOptions options;
  options.environment = test_environment();
  options.environment->emplace("API_TOKEN", "s3cret-value-long");
  const auto parsed = parse(R"(version: 1
secrets: [API_TOKEN]
stages:
  - { name: a, if: "${env.API_TOKEN} == 'x'", jobs: [{ id: j, type: noop }] }
)",
                            options);
  INFO(parsed.text());
  CHECK(
      parsed.has("pipe.yaml:4:21: error: '${env.API_TOKEN}' in 'if' in stage 'a' is a secret (a "
                 "secret goes in a job's params only, where every output masks it)"));
}

TEST_CASE("${...} in an if: are operands, not text: a var's value cannot change the expression") {
  PipelineOptions options;
  options.set_vars = {{"mode", "x' || 'a' == 'a"}};
  const auto pipeline = parse_good(R"(version: 1
vars: { mode: slow }
stages:
  - { name: a, if: "${vars.mode} == 'fast'", jobs: [{ id: j, type: noop }] }
)",
                                   options);
  CHECK(pipeline.stages[0].condition->holds == std::optional<bool>(false));
}

}  // namespace lockstep::test
