// interpolate() and refers_to_instance(): every reference kind, `$$`, errors with their offsets,
// and the load-time mode that keeps per-instance references for the runner.
#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "config/interpolate.hpp"

namespace lockstep::test {
namespace {

using config::interpolate;
using config::refers_to_instance;
using config::Scope;

const StringMap kVars{{"input", "data"}, {"price", "5$"}};
const StringMap kEnv{{"HOME", "/home/ann"}};

std::string ok(std::string_view text, const Scope& scope) {
  auto result = interpolate(text, scope);
  INFO(result.error << " (" << result.hint << ")");
  REQUIRE(result.error.empty());
  return result.text;
}

TEST_CASE("interpolate replaces vars and env references") {
  const Scope scope{.vars = &kVars, .env = &kEnv};
  CHECK(ok("${vars.input}/x", scope) == "data/x");
  CHECK(ok("${env.HOME}/${vars.input}", scope) == "/home/ann/data");
  CHECK(ok("no references", scope) == "no references");
  CHECK(ok("", scope).empty());
}

TEST_CASE("interpolate replaces item, item fields, index and iteration") {
  const Item item{.value = "a", .fields = {{"os", "linux"}, {"n", "2"}}};
  const Scope scope{.item = &item, .index = 7, .iteration = 3};
  CHECK(ok("${item}-${index}-${iteration}", scope) == "a-7-3");
  CHECK(ok("${item.os}/${item.n}", scope) == "linux/2");
}

TEST_CASE("interpolate turns $$ into $ and leaves a lone $ alone") {
  const Scope scope{.vars = &kVars};
  CHECK(ok("cost: $$5 and $$${vars.input}", scope) == "cost: $5 and $data");
  CHECK(ok("a $ b $", scope) == "a $ b $");
  CHECK(ok("$${vars.input}", scope) == "${vars.input}");
}

TEST_CASE("an undefined variable is an error at its offset with a did-you-mean") {
  const Scope scope{.vars = &kVars, .env = &kEnv};
  auto result = interpolate("x ${vars.inptu} y", scope);
  CHECK(result.error == "undefined variable 'vars.inptu'");
  CHECK(result.hint == "did you mean 'vars.input'?");
  CHECK(result.error_offset == 2);

  auto env = interpolate("${env.HOEM}", scope);
  CHECK(env.error == "undefined environment variable 'env.HOEM'");
  CHECK(env.hint == "did you mean 'env.HOME'?");
  CHECK(env.error_offset == 0);
}

TEST_CASE("per-instance references are errors where no instance exists") {
  const Scope scope{.vars = &kVars};
  auto item = interpolate("ab${item}", scope);
  CHECK(item.error == "'${item}' is not defined here");
  CHECK(item.error_offset == 2);
  CHECK(interpolate("${index}", scope).error == "'${index}' is not defined here");
  CHECK(interpolate("${iteration}", scope).error == "'${iteration}' is not defined here");
  CHECK(interpolate("${item.os}", scope).error == "'${item.os}' is not defined here");
}

TEST_CASE("outside params, every per-instance reference says where it belongs") {
  const Item item{.value = "a", .fields = {}};
  // Even with an item in scope: outside_params wins, whatever else the scope holds.
  const Scope scope{.vars = &kVars, .item = &item, .index = 0, .outside_params = true};
  for (auto text : {"${item}", "${item.os}", "${index}", "${iteration}"}) {
    CAPTURE(text);
    auto result = interpolate(std::string("x ") + text, scope);
    CHECK(result.error == "'" + std::string(text) + "' is not allowed here");
    CHECK(result.hint ==
          "${item}, ${item.KEY}, ${index} and ${iteration} differ per instance: only a job's "
          "'params' can use them");
    CHECK(result.error_offset == 2);
  }
  CHECK(ok("${vars.input}", scope) == "data");
}

TEST_CASE("interpolate counts the references it replaced") {
  const Scope scope{.vars = &kVars, .env = &kEnv, .keep_instance_refs = true};
  CHECK(interpolate("plain $$ and $", scope).references == 0);
  CHECK(interpolate("${vars.input}/${env.HOME}", scope).references == 2);
  CHECK(interpolate("${vars.input}/${item}", scope).references == 1);  // a kept one is not
}

TEST_CASE("an item field that the item does not have is an error") {
  const Item matrix{.value = "{n: 1, os: x}", .fields = {{"os", "x"}, {"n", "1"}}};
  auto typo = interpolate("${item.oss}", Scope{.item = &matrix});
  CHECK(typo.error == "undefined item field 'item.oss'");
  CHECK(typo.hint == "did you mean 'item.os'?");

  const Item plain{.value = "a", .fields = {}};
  auto none = interpolate("-${item.os}", Scope{.item = &plain});
  CHECK(none.error == "'${item.os}': the items of this job have no fields");
  CHECK(none.error_offset == 1);
}

TEST_CASE("unknown and unterminated references are errors") {
  auto unknown = interpolate("${itme}", Scope{});
  CHECK(unknown.error == "unknown reference '${itme}'");
  CHECK(unknown.hint == "did you mean 'item'?");
  auto unterminated = interpolate("abc ${vars.x", Scope{});
  CHECK(unterminated.error == "unterminated '${'");
  CHECK(unterminated.error_offset == 4);
}

TEST_CASE("keep_instance_refs resolves vars and env but keeps instance references and $$") {
  const Scope scope{.vars = &kVars, .env = &kEnv, .keep_instance_refs = true};
  CHECK(ok("${vars.input}/${item}/${item.os}/${index}/${iteration}", scope) ==
        "data/${item}/${item.os}/${index}/${iteration}");
  CHECK(ok("$$${item}", scope) == "$$${item}");
  // A `$` inside a substituted value must come out of the runner's pass as a `$`.
  auto kept = ok("${vars.price} ${item}", scope);
  CHECK(kept == "5$$ ${item}");
  const Item item{.value = "a", .fields = {}};
  CHECK(ok(kept, Scope{.item = &item}) == "5$ a");
}

TEST_CASE("keep_instance_refs still reports undefined vars") {
  const Scope scope{.vars = &kVars, .keep_instance_refs = true};
  CHECK(interpolate("${item} ${vars.nope}", scope).error == "undefined variable 'vars.nope'");
}

TEST_CASE("refers_to_instance finds item, index and iteration references only") {
  CHECK(refers_to_instance("${item}"));
  CHECK(refers_to_instance("x ${item.os} y"));
  CHECK(refers_to_instance("${index}"));
  CHECK(refers_to_instance("${iteration}"));
  CHECK_FALSE(refers_to_instance("${vars.item}"));
  CHECK_FALSE(refers_to_instance("${env.index}"));
  CHECK_FALSE(refers_to_instance("$${item}"));
  CHECK_FALSE(refers_to_instance("plain"));
  CHECK_FALSE(refers_to_instance("${item"));
  CHECK(refers_to_instance("$$$${item}x${index}"));
}

TEST_CASE("output references: one value, [N] picks, [*] joins; a wrong count fails") {
  const std::map<std::string, std::vector<std::string>, std::less<>> published{
      {"fetch.get.url", {"https://a"}}, {"fetch.part.name", {"north", "south"}}};
  const std::function<std::vector<std::string>(std::string_view)> read =
      [&](std::string_view reference) {
        const auto found = published.find(reference);
        return found == published.end() ? std::vector<std::string>{} : found->second;
      };
  const Scope scope{.outputs = &read};
  CHECK(ok("${outputs.fetch.get.url}/x", scope) == "https://a/x");
  CHECK(ok("${outputs.fetch.part.name[1]}", scope) == "south");
  CHECK(ok("${outputs.fetch.part.name[*]}", scope) == "north south");
  CHECK(ok("[${outputs.fetch.none.key[*]}]", scope) == "[]");
  CHECK(interpolate("${outputs.fetch.part.name}", scope).error ==
        "'${outputs.fetch.part.name}': 'fetch.part.name' has 2 values");
  CHECK(interpolate("${outputs.fetch.part.name[2]}", scope).error ==
        "'${outputs.fetch.part.name[2]}': 'fetch.part.name' has 2 values, none at 2");
  CHECK(interpolate("${outputs.fetch.none.key}", scope).error ==
        "'${outputs.fetch.none.key}': no instance published 'fetch.none.key'");
  // In shell code, a value is one word, whatever it holds.
  Scope shell = scope;
  shell.shell = true;
  CHECK(ok("echo ${outputs.fetch.part.name[*]}", shell) == "echo 'north south'");
}

TEST_CASE("output references are kept at load time, read later, and refused outside params") {
  CHECK(refers_to_instance("${outputs.fetch.get.url}"));
  Scope keep{.vars = &kVars};
  keep.keep_instance_refs = true;
  CHECK(ok("${vars.input} ${outputs.a.b.c[*]}", keep) == "data ${outputs.a.b.c[*]}");
  Scope later{};
  later.outputs_later = true;
  CHECK(ok("<${outputs.a.b.c}>", later) == "<>");
  Scope outside{};
  outside.outside_params = true;
  CHECK(interpolate("${outputs.a.b.c}", outside).error == "'${outputs.a.b.c}' is not allowed here");
  CHECK(interpolate("${outputs.a.b.c}", Scope{}).error == "'${outputs.a.b.c}' is not defined here");
}

TEST_CASE("parse_output_reference reads STAGE.JOB.KEY and one selector") {
  using config::parse_output_reference;
  const auto plain = parse_output_reference("outputs.s.j.k.with.dots");
  REQUIRE(plain);
  CHECK(plain->reference == "s.j.k.with.dots");
  CHECK_FALSE(plain->position);
  CHECK_FALSE(plain->all);
  CHECK(parse_output_reference("outputs.s.j.k[12]")->position == 12u);
  CHECK(parse_output_reference("outputs.s.j.k[*]")->all);
  for (const auto* bad :
       {"outputs.s.j", "outputs.s..k", "outputs..j.k", "outputs.s.j.", "outputs.s.j.k[]",
        "outputs.s.j.k[x]", "outputs.s.j.k[-1]", "outputs.s.j[1].k", "vars.x"}) {
    INFO(bad);
    CHECK_FALSE(parse_output_reference(bad));
  }
}

}  // namespace
}  // namespace lockstep::test
