// Values in shell code: every ${...} of a shell-code parameter reaches the shell as exactly its
// value, unquoted, inside '...' and inside "...", checked by running real shells (sh, and bash
// when there is one); the places where no quoting is safe are refused with a reason; ${raw:...}
// pastes shell code and belongs to shell code only.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include "config/interpolate.hpp"
#include "config/shell_quote.hpp"

extern char** environ;

namespace lockstep::test {
namespace {

using config::interpolate;
using config::quote_for_shell;
using config::Scope;
using config::ShellLexer;
using config::ShellPlace;

// What `shell -c script` prints on stdout (in `dir`), and its exit status.
struct ShellRun {
  std::string out;
  int status = -1;
};

ShellRun run_shell(const std::string& shell, const std::string& script,
                   const std::filesystem::path& dir) {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  std::vector<char*> argv{const_cast<char*>(shell.c_str()), const_cast<char*>("-c"),
                          const_cast<char*>(script.c_str()), nullptr};
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, shell.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  REQUIRE(spawned == 0);
  ShellRun run;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    run.out.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

std::vector<std::string> shells() {
  std::vector<std::string> found{"/bin/sh"};
  for (const char* bash : {"/bin/bash", "/usr/bin/bash"}) {
    if (::access(bash, X_OK) == 0) {
      found.emplace_back(bash);
      break;
    }
  }
  return found;
}

// A directory of its own, removed at the end: where a value that escaped its quotes would
// leave the file MARKER.
struct Sandbox {
  Sandbox() {
    auto pattern = (std::filesystem::temp_directory_path() / "lockstep-shell-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    dir = pattern;
  }
  ~Sandbox() { std::filesystem::remove_all(dir); }
  bool marker() const { return std::filesystem::exists(dir / "MARKER"); }
  std::filesystem::path dir;
};

std::string shell_text(std::string_view text, const Item& item) {
  Scope scope{.item = &item};
  scope.shell = true;
  auto result = interpolate(text, scope);
  INFO(text << ": " << result.error << " (" << result.hint << ")");
  REQUIRE(result.error.empty());
  return result.text;
}

const std::vector<std::string> kHostileValues{
    "",
    "plain",
    "two words",
    "it's",
    "'",
    "''",
    "\"",
    "x; touch MARKER",
    "$(touch MARKER)",
    "`touch MARKER`",
    "'; touch MARKER; echo '",
    "\"; touch MARKER; echo \"",
    "\\",
    "a\\",
    "\\'",
    "$HOME $1 $$ ${x:-y} $((1+1))",
    "line one\nline two\n",
    "\ttab\r\n",
    "*",
    "~",
    "-n",
    "!",
    "#not a comment",
    "\xc3\xa9t\xc3\xa9 \xe2\x82\xac",  // UTF-8
    "\xff\xfe\x80 raw bytes",          // not UTF-8
    "\x1b[31mred\x1b[0m",
};

TEST_CASE("a value reaches the shell byte for byte, unquoted, in '...' and in \"...\"") {
  Sandbox sandbox;
  for (const auto& shell : shells()) {
    for (const auto& value : kHostileValues) {
      const Item item{.value = value, .fields = {}};
      for (const std::string form :
           {"printf %s ${item}", "printf %s '${item}'", "printf %s \"${item}\"",
            "printf %s x${item}y", "printf %s \":${item}:\"':${item}:':${item}:"}) {
        const auto script = shell_text(form, item);
        const auto run = run_shell(shell, script, sandbox.dir);
        std::string expected = value;
        if (form.find("x${item}y") != std::string::npos) expected = "x" + value + "y";
        if (form.find(":${item}:") != std::string::npos) {
          expected = ":" + value + "::" + value + "::" + value + ":";
        }
        INFO(shell << " -c " << script);
        CHECK(run.status == 0);
        CHECK(run.out == expected);
        CHECK_FALSE(sandbox.marker());
      }
    }
  }
}

TEST_CASE("every byte but NUL round-trips through each quoting") {
  Sandbox sandbox;
  std::string all;
  for (int c = 1; c < 256; ++c) all += static_cast<char>(c);
  for (const auto place :
       {ShellPlace::word, ShellPlace::single_quoted, ShellPlace::double_quoted}) {
    const auto quoted = quote_for_shell(all, place);
    REQUIRE(quoted.has_value());
    const std::string script = place == ShellPlace::word ? "printf %s " + *quoted
                               : place == ShellPlace::single_quoted
                                   ? "printf %s '" + *quoted + "'"
                                   : "printf %s \"" + *quoted + "\"";
    for (const auto& shell : shells()) {
      INFO(shell);
      CHECK(run_shell(shell, script, sandbox.dir).out == all);
    }
  }
  CHECK_FALSE(quote_for_shell(std::string("a\0b", 3), ShellPlace::word).has_value());
}

TEST_CASE("a value in a shell comment cannot end the comment") {
  Sandbox sandbox;
  const Item item{.value = "x\ntouch MARKER\n", .fields = {}};
  const auto script = shell_text("echo start # don't ${item}\necho end", item);
  CHECK(script == "echo start # don't x touch MARKER \necho end");
  for (const auto& shell : shells()) {
    CHECK(run_shell(shell, script, sandbox.dir).out == "start\nend\n");
    CHECK_FALSE(sandbox.marker());
  }
}

ShellPlace place_after(std::string_view shell_text) {
  ShellLexer lexer;
  lexer.feed(shell_text);
  return lexer.place().place;
}

TEST_CASE("the lexer knows where it is in shell code") {
  CHECK(place_after("echo ") == ShellPlace::word);
  CHECK(place_after("echo '") == ShellPlace::single_quoted);
  CHECK(place_after("echo \"") == ShellPlace::double_quoted);
  CHECK(place_after("echo 'a' ") == ShellPlace::word);
  CHECK(place_after("echo \"a\" ") == ShellPlace::word);
  CHECK(place_after("echo it\\'s ") == ShellPlace::word);  // an escaped quote opens nothing
  CHECK(place_after("echo \"it's ") == ShellPlace::double_quoted);  // ' inside "..." is a letter
  CHECK(place_after("echo 'say \"") == ShellPlace::single_quoted);
  CHECK(place_after("echo \"a\\\" ") == ShellPlace::double_quoted);  // \" does not close
  CHECK(place_after("echo x # it's\necho ") == ShellPlace::word);    // no quote in a comment
  CHECK(place_after("echo x # ") == ShellPlace::comment);
  CHECK(place_after("echo x#y ") == ShellPlace::word);           // # inside a word
  CHECK(place_after("echo ${#x} ") == ShellPlace::word);         // a length, no comment
  CHECK(place_after("echo \"$(basename ") == ShellPlace::word);  // a new command inside "..."
  CHECK(place_after("echo \"$(basename 'a') ") == ShellPlace::double_quoted);
  CHECK(place_after("echo \"$(echo \"") == ShellPlace::double_quoted);
  CHECK(place_after("echo $(echo (a) ") == ShellPlace::word);
  CHECK(place_after("echo \"$( (echo a) ) ") == ShellPlace::double_quoted);
  CHECK(place_after("cat <<EOF\nit's\nEOF\necho ") == ShellPlace::word);
  CHECK(place_after("cat <<-'E O'\n\tx\n\tE O\necho '") == ShellPlace::single_quoted);
  CHECK(place_after("echo $((1 << 2)) ") == ShellPlace::word);
  CHECK(place_after("echo $$ ") == ShellPlace::word);
  CHECK(place_after("x=") == ShellPlace::word);
  CHECK(place_after("echo \\\n# ") == ShellPlace::comment);  // a continued line, then a comment
  CHECK(place_after("echo a\\\n# ") == ShellPlace::word);    // ... that goes on with a word
}

TEST_CASE("the lexer refuses places where no quoting keeps a value one value") {
  CHECK(place_after("echo `echo ") == ShellPlace::refused);
  CHECK(place_after("echo \"`echo ") == ShellPlace::refused);
  CHECK(place_after("cat <<EOF\n") == ShellPlace::refused);
  CHECK(place_after("cat <<'EOF'\nx\n") == ShellPlace::refused);
  CHECK(place_after("cat <<") == ShellPlace::refused);
  CHECK(place_after("cat << ") == ShellPlace::refused);
  CHECK(place_after("echo $((") == ShellPlace::refused);
  CHECK(place_after("echo ${x:-") == ShellPlace::refused);
  CHECK(place_after("echo \"${x:-") == ShellPlace::refused);
  CHECK(place_after("echo $'") == ShellPlace::refused);
  CHECK(place_after("echo $'a\\'b' ") == ShellPlace::refused);  // sh and bash part ways
  CHECK(place_after("echo \\") == ShellPlace::refused);
  CHECK(place_after("echo $") == ShellPlace::refused);
  CHECK(place_after("x=$(case a in a) echo ") == ShellPlace::refused);
  // Once lost, lost for the rest of the text.
  CHECK(place_after("x=$(case a in a) echo a;; esac); echo ") == ShellPlace::refused);
}

TEST_CASE("the lexer refuses where bash evaluates a word as arithmetic") {
  // bash runs a $(...) found in what it evaluates, quotes or not: (( x = 'a[$(touch F)]' )).
  CHECK(place_after("(( x = ") == ShellPlace::refused);
  CHECK(place_after("if ((x < ") == ShellPlace::refused);
  CHECK(place_after("echo $[1 + ") == ShellPlace::refused);
  CHECK(place_after("let x=") == ShellPlace::refused);
  CHECK(place_after("true; let n+=") == ShellPlace::refused);
  CHECK(place_after("declare -i n=") == ShellPlace::refused);
  CHECK(place_after("local -ri n=") == ShellPlace::refused);
  CHECK(place_after("eval echo ") == ShellPlace::refused);
  CHECK(place_after("trap \"echo ") == ShellPlace::refused);
  CHECK(place_after("eval true; echo ") == ShellPlace::word);
  // Quotes do not help there: bash evaluates the quoted text.
  CHECK(place_after("(( x = '") == ShellPlace::refused);
  CHECK(place_after("(( x = \"") == ShellPlace::refused);
  CHECK(place_after("let \"x=") == ShellPlace::refused);
  CHECK(place_after("echo ${v:'") == ShellPlace::refused);
  CHECK(place_after("echo \"${v:-'") == ShellPlace::refused);
  // Not arithmetic: two subshells, a word named let, a declaration of a string, after the command.
  CHECK(place_after("( (echo ") == ShellPlace::word);
  CHECK(place_after("echo let ") == ShellPlace::word);
  CHECK(place_after("declare -r x=") == ShellPlace::word);
  CHECK(place_after("let x=1; echo ") == ShellPlace::word);
  CHECK(place_after("echo $((1 + 2)) ") == ShellPlace::word);
  CHECK(place_after("(( x = 1 )) && echo ") == ShellPlace::word);
  CHECK(place_after("[[ -f x ]] && echo ") == ShellPlace::word);
}

TEST_CASE("a value in a [[ ... ]] that compares numbers is refused, once its end is read") {
  const Item item{.value = "3", .fields = {}};
  Scope scope{.item = &item};
  scope.shell = true;
  auto result = interpolate("if [[ ${item} -lt 10 ]]; then echo small; fi", scope);
  CHECK(result.error ==
        "'${item}' cannot be quoted inside [[ ... ]] with -eq, -lt or the like, which bash "
        "evaluates as arithmetic, running any $(...) in the value");
  CHECK(result.error_offset == 6);
  CHECK(interpolate("[[ 10 -gt ${item} ]]", scope).error_offset == 10);
  CHECK(interpolate("[[ \"${item}\" -eq 3 ]]", scope).error_offset == 4);  // quoted, the same
  // As text, or with test, it is one word like anywhere.
  CHECK(interpolate("[[ ${item} == 3 ]] && [ ${item} -lt 10 ]", scope).text ==
        "[[ '3' == 3 ]] && [ '3' -lt 10 ]");
}

TEST_CASE("a refused place is an error that says where and what to do") {
  const Item item{.value = "v", .fields = {}};
  Scope scope{.item = &item};
  scope.shell = true;
  auto result = interpolate("echo `basename ${item}`", scope);
  CHECK(result.error == "'${item}' cannot be quoted inside `...`, where quotes nest differently");
  CHECK(result.hint == "write $(...) instead of `...`");
  CHECK(result.error_offset == 15);
  result = interpolate("cat <<EOF\n${item}\nEOF", scope);
  CHECK(result.error ==
        "'${item}' cannot be quoted inside a here-document, where no quoting can keep it one "
        "value");
  result = interpolate("printf 'a\\0b' ${item}", scope);
  CHECK(result.error.empty());
  const Item nul{.value = std::string("a\0b", 3), .fields = {}};
  scope.item = &nul;
  result = interpolate("echo ${item}", scope);
  CHECK(result.error == "the value of '${item}' holds a NUL byte, which no shell command can hold");
}

TEST_CASE("load time quotes vars for their place and keeps instance references") {
  const StringMap vars{{"dir", "my dir"}, {"cost", "5$"}};
  Scope scope{.vars = &vars, .keep_instance_refs = true};
  scope.shell = true;
  auto result = interpolate("cp ${item} ${vars.dir}/\"${vars.cost}\" '${vars.cost}'", scope);
  REQUIRE(result.error.empty());
  // A `$` of a value is escaped for the runner's pass, which then quotes ${item} for its place.
  CHECK(result.text == "cp ${item} 'my dir'/\"5\\$$\" '5$$'");
  const Item item{.value = "a b", .fields = {}};
  Scope run{.item = &item};
  run.shell = true;
  CHECK(interpolate(result.text, run).text == "cp 'a b' 'my dir'/\"5\\$\" '5$'");
  // A per-instance reference in a refused place is found at load time.
  result = interpolate("echo `echo ${item}`", scope);
  CHECK(result.error == "'${item}' cannot be quoted inside `...`, where quotes nest differently");
}

TEST_CASE("${raw:NAME} pastes shell code, in shell code only") {
  const StringMap vars{{"flags", "-l -a"}, {"quote", "'"}};
  Scope scope{.vars = &vars};
  scope.shell = true;
  CHECK(interpolate("ls ${raw:vars.flags} ${vars.flags}", scope).text == "ls -l -a '-l -a'");
  // Pasted code moves the lexer too: after an opening quote, a value is quoted for '...'.
  CHECK(interpolate("echo ${raw:vars.quote}${vars.quote}'", scope).text == "echo ''\\'''");
  Scope plain{.vars = &vars};
  const auto result = interpolate("ls ${raw:vars.flags}", plain);
  CHECK(result.error == "'${raw:vars.flags}' pastes shell code, and this is no shell code");
  CHECK(result.hint ==
        "raw: belongs in a shell command (core.command's 'shell'); here write ${vars.flags}");
  CHECK(config::refers_to_instance("echo ${raw:item}"));
}

}  // namespace
}  // namespace lockstep::test
