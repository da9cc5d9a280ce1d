// Text on its way out: registered secrets masked in every form they are written in, diagnostics
// that never hold one, and text from jobs made safe for a terminal. (Secrets are process-wide:
// each test registers values of its own.)
#include <catch2/catch.hpp>

#include <string>

#include <lockstep/pipeline/output_text.hpp>
#include <lockstep/plugin/diagnostics.hpp>

namespace lockstep::test {
namespace {

TEST_CASE("a registered secret is masked wherever and however often it appears", "[secrets]") {
  CHECK(mask_secrets("nothing to hide") == "nothing to hide");
  REQUIRE(register_secret("hunter2-alpha"));
  CHECK(mask_secrets("pw=hunter2-alpha, again hunter2-alpha.") == "pw=***, again ***.");
  CHECK(mask_secrets("hunter2-alph") == "hunter2-alph");  // a part is not the secret
  // Longer first: a secret that contains another is masked whole.
  REQUIRE(register_secret("hunter2-alpha-beta"));
  CHECK(mask_secrets("x hunter2-alpha-beta y") == "x *** y");
}

TEST_CASE("a secret is masked as shell code and JSON write it", "[secrets]") {
  REQUIRE(register_secret("it's \"q\" $x `y` \\z"));
  CHECK(mask_secrets("echo 'it'\\''s \"q\" $x `y` \\z'") == "echo '***'");              // in '...'
  CHECK(mask_secrets("echo \"it's \\\"q\\\" \\$x \\`y\\` \\\\z\"") == "echo \"***\"");  // in "..."
  CHECK(mask_secrets("{\"v\": \"it's \\\"q\\\" $x `y` \\\\z\"}") == "{\"v\": \"***\"}");  // JSON
}

TEST_CASE("a secret shorter than four characters is refused", "[secrets]") {
  CHECK_FALSE(register_secret("abc"));
  CHECK(mask_secrets("abc abc") == "abc abc");
}

TEST_CASE("a diagnostic never holds a secret", "[secrets]") {
  REQUIRE(register_secret("diag-s3cr3t"));
  Diagnostics diagnostics;
  diagnostics.error({"p.yaml", 2, 3}, "must be a duration, got 'diag-s3cr3t'", "not diag-s3cr3t");
  CHECK(diagnostics.all().front().message == "must be a duration, got '***'");
  CHECK(diagnostics.to_string() == "p.yaml:2:3: error: must be a duration, got '***' (not ***)\n");
}

TEST_CASE("for_terminal escapes control characters and bytes that are not UTF-8", "[terminal]") {
  CHECK(for_terminal("plain, caf\xc3\xa9 \xe2\x82\xac\ttab") ==
        "plain, caf\xc3\xa9 \xe2\x82\xac\ttab");
  CHECK(for_terminal("\x1b[2J\x1b]0;title\x07") == "\\x1b[2J\\x1b]0;title\\x07");
  CHECK(for_terminal("a\nb\rc\x7f") == "a\\nb\\rc\\x7f");
  CHECK(for_terminal("\xc2\x9b"
                     "31m") == "\\u009b31m");  // CSI as a C1 control
  CHECK(for_terminal("\xff\xfe ok") == "\\xff\\xfe ok");
  CHECK(for_terminal("\xe2\x82") == "\\xe2\\x82");  // a sequence cut short
}

}  // namespace
}  // namespace lockstep::test
