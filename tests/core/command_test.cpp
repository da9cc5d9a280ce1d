// core.command: what it runs, what it logs, how it fails and what validation catches.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core_harness.hpp"

namespace lockstep::test {

using Level = Logger::Level;

TEST_CASE("command runs argv as given, without a shell") {
  Harness harness;
  auto result = harness.run("core.command",
                            {list_param("argv", {"printf", "%s\\n", "first", "$HOME", "a b"})});
  INFO(failure_message(result));
  CHECK(result.ok());
  CHECK(harness.log.texts(Level::info) == std::vector<std::string>{"first", "$HOME", "a b"});
}

TEST_CASE("command runs shell through /bin/sh -c") {
  Harness harness;
  auto result =
      harness.run("core.command", {param("shell", "for i in 1 2 3; do echo line $i; done")});
  INFO(failure_message(result));
  CHECK(result.ok());
  CHECK(harness.log.texts(Level::info) == std::vector<std::string>{"line 1", "line 2", "line 3"});
}

TEST_CASE("without shell_program, shell runs with /bin/sh") {
  Harness harness;
  auto result = harness.run("core.command", {param("shell", "echo \"$0\"")});
  INFO(failure_message(result));
  CHECK(result.ok());
  CHECK(harness.log.texts(Level::info) == std::vector<std::string>{"/bin/sh"});
}

TEST_CASE("shell_program: bash runs the command line with bash, found in PATH") {
  Harness harness;
  auto result = harness.run(
      "core.command",
      {param("shell", "echo $((RANDOM >= 0)); [[ a == a ]] && echo \"${BASH_VERSION:+bash}\""),
       param("shell_program", "bash")});
  INFO(failure_message(result));
  CHECK(result.ok());
  CHECK(harness.log.texts(Level::info) == std::vector<std::string>{"1", "bash"});
}

TEST_CASE("shell_program takes an absolute path as it is") {
  Harness harness;
  auto result = harness.run("core.command",
                            {param("shell", "echo \"$0\""), param("shell_program", "/bin/sh")});
  INFO(failure_message(result));
  CHECK(result.ok());
  CHECK(harness.log.texts(Level::info) == std::vector<std::string>{"/bin/sh"});
}

TEST_CASE("command logs stdout as info and stderr as warning, line by line") {
  Harness harness;
  auto result = harness.run(
      "core.command",
      {param("shell", "echo to-stdout; echo to-stderr >&2; printf 'no newline at the end'")});
  CHECK(result.ok());
  CHECK(harness.log.texts(Level::info) ==
        std::vector<std::string>{"to-stdout", "no newline at the end"});
  CHECK(harness.log.texts(Level::warning) == std::vector<std::string>{"to-stderr"});
}

TEST_CASE("command reads more output than a pipe holds") {
  Harness harness;
  // 20,000 lines of 20 bytes: four times a pipe's 64 KiB, so the child blocks until we read.
  auto result =
      harness.run("core.command", {param("shell", "yes 0123456789abcdefghi | head -n 20000")});
  CHECK(result.ok());
  auto lines = harness.log.texts(Level::info);
  CHECK(lines.size() == 20000);
  CHECK(std::all_of(lines.begin(), lines.end(),
                    [](const std::string& line) { return line == "0123456789abcdefghi"; }));
}

TEST_CASE("a non-zero exit fails the command with its status") {
  Harness harness;
  auto result = harness.run("core.command", {param("shell", "echo about to fail; exit 3")});
  CHECK(result.count(JobState::failed) == 1);
  CHECK_THAT(failure_message(result), Catch::Contains("exited with status 3"));
  CHECK(harness.log.texts(Level::info) == std::vector<std::string>{"about to fail"});
}

TEST_CASE("argv's failure message names the program") {
  Harness harness;
  auto result = harness.run("core.command", {list_param("argv", {"false"})});
  CHECK(failure_message(result) == "'false' exited with status 1");
}

TEST_CASE("a command killed by a signal fails with the signal") {
  Harness harness;
  auto result = harness.run("core.command", {param("shell", "kill -KILL $$")});
  CHECK(result.count(JobState::failed) == 1);
  CHECK_THAT(failure_message(result), Catch::Contains("killed by signal 9 (SIGKILL)"));
}

TEST_CASE("command adds env to the environment and runs in cwd") {
  TempDir dir;
  Harness harness;
  auto result = harness.run(
      "core.command", {param("shell", "echo \"$LOCKSTEP_CORE_TEST_VAR\"; pwd -P; echo \"$HOME\""),
                       map_param("env", {{"LOCKSTEP_CORE_TEST_VAR", "from env"}}),
                       param("cwd", dir.path().string())});
  INFO(failure_message(result));
  REQUIRE(result.ok());
  const char* home = std::getenv("HOME");
  CHECK(harness.log.texts(Level::info) ==
        std::vector<std::string>{"from env", dir.path().string(), home ? home : ""});
}

TEST_CASE("env replaces an inherited variable of the same name") {
  Harness harness;
  auto result = harness.run("core.command", {param("shell", "echo \"$HOME\""),
                                             map_param("env", {{"HOME", "/elsewhere"}})});
  CHECK(result.ok());
  CHECK(harness.log.texts(Level::info) == std::vector<std::string>{"/elsewhere"});
}

TEST_CASE("argv finds its program in the PATH given by env") {
  TempDir dir;
  const auto tool = dir.path() / "lockstep-core-test-tool";
  {
    std::ofstream script(tool);
    script << "#!/bin/sh\necho tool ran with \"$1\"\n";
  }
  std::filesystem::permissions(tool, std::filesystem::perms::owner_all);
  Harness harness;
  auto result = harness.run("core.command",
                            {list_param("argv", {"lockstep-core-test-tool", "an argument"}),
                             map_param("env", {{"PATH", dir.path().string() + ":/usr/bin:/bin"}})});
  INFO(failure_message(result));
  CHECK(result.ok());
  CHECK(harness.log.texts(Level::info) == std::vector<std::string>{"tool ran with an argument"});
}

TEST_CASE("a relative program path is looked up in cwd") {
  TempDir dir;
  {
    std::ofstream script(dir.path() / "build.sh");
    script << "#!/bin/sh\necho built\n";
  }
  std::filesystem::permissions(dir.path() / "build.sh", std::filesystem::perms::owner_all);
  Harness harness;
  auto result = harness.run(
      "core.command", {list_param("argv", {"./build.sh"}), param("cwd", dir.path().string())});
  INFO(failure_message(result));
  CHECK(result.ok());
  CHECK(harness.log.texts(Level::info) == std::vector<std::string>{"built"});
}

TEST_CASE("a missing program fails cleanly, saying what was looked for") {
  Harness harness;
  auto result = harness.run("core.command", {list_param("argv", {"lockstep-no-such-program"})});
  CHECK(result.count(JobState::failed) == 1);
  CHECK_THAT(failure_message(result),
             Catch::Contains("cannot run 'lockstep-no-such-program': no such program in PATH"));
}

TEST_CASE("a missing program given by path fails with the system's reason") {
  Harness harness;
  auto result = harness.run("core.command", {list_param("argv", {"/nonexistent/lockstep-tool"})});
  CHECK(result.count(JobState::failed) == 1);
  CHECK(failure_message(result) ==
        "cannot run '/nonexistent/lockstep-tool': No such file or directory");
}

TEST_CASE("a missing cwd fails the command before anything runs") {
  Harness harness;
  auto result = harness.run("core.command", {param("shell", "echo should not run"),
                                             param("cwd", "/nonexistent/lockstep-dir")});
  CHECK(result.count(JobState::failed) == 1);
  CHECK_THAT(failure_message(result),
             Catch::Contains("cannot run in directory '/nonexistent/lockstep-dir'"));
  CHECK(harness.log.lines().empty());
}

TEST_CASE("command's stdin is empty, never the terminal's") {
  Harness harness;
  auto result = harness.run("core.command", {param("shell",
                                                   "if read line; then echo got input; "
                                                   "else echo stdin is empty; fi")});
  CHECK(result.ok());
  CHECK(harness.log.texts(Level::info) == std::vector<std::string>{"stdin is empty"});
}

TEST_CASE("KEY=value lines a command writes to $LOCKSTEP_OUTPUT become its outputs") {
  Harness harness;
  auto result = harness.run(
      "core.command",
      {param("shell",
             "echo \"$LOCKSTEP_OUTPUT\"; echo version=1.2.3 >> \"$LOCKSTEP_OUTPUT\"; "
             "echo >> \"$LOCKSTEP_OUTPUT\"; echo 'query=a=b' >> \"$LOCKSTEP_OUTPUT\"")});
  INFO(failure_message(result));
  REQUIRE(result.ok());
  CHECK(harness.outputs.get("stage.job.version") == "1.2.3");
  CHECK(harness.outputs.get("stage.job.query") == "a=b");
  // The file is the job's own and is gone with it.
  auto lines = harness.log.texts(Level::info);
  REQUIRE(lines.size() == 1);
  CHECK_FALSE(lines.front().empty());
  CHECK_FALSE(std::filesystem::exists(lines.front()));
}

TEST_CASE("a malformed $LOCKSTEP_OUTPUT line fails the command") {
  Harness harness;
  auto result =
      harness.run("core.command", {param("shell",
                                         "echo ok=1 > \"$LOCKSTEP_OUTPUT\"; "
                                         "echo 'no equals sign' >> \"$LOCKSTEP_OUTPUT\"")});
  CHECK(result.count(JobState::failed) == 1);
  CHECK(failure_message(result) == "$LOCKSTEP_OUTPUT line 2: 'no equals sign' is not KEY=value");
}

TEST_CASE("a failed command publishes no outputs") {
  Harness harness;
  auto result =
      harness.run("core.command", {param("shell", "echo done=yes > \"$LOCKSTEP_OUTPUT\"; exit 1")});
  CHECK(result.count(JobState::failed) == 1);
  CHECK_FALSE(harness.outputs.get("stage.job.done").has_value());
}

TEST_CASE("$LOCKSTEP_OUTPUT is the command's own file, in a directory only its user may enter") {
  // Two commands: each names a file that does not exist yet, the two names differ, and both
  // lie in one directory of mode 0700.
  std::vector<std::string> named;
  for (int i = 0; i < 2; ++i) {
    Harness harness;
    auto result = harness.run(
        "core.command",
        {param("shell",
               "echo \"$LOCKSTEP_OUTPUT\"; test ! -e \"$LOCKSTEP_OUTPUT\" && echo absent")});
    INFO(failure_message(result));
    REQUIRE(result.ok());
    auto lines = harness.log.texts(Level::info);
    REQUIRE(lines.size() == 2);
    CHECK(lines[1] == "absent");
    named.push_back(lines[0]);
  }
  CHECK(named[0] != named[1]);
  const auto directory = std::filesystem::path(named[0]).parent_path();
  CHECK(directory == std::filesystem::path(named[1]).parent_path());
  const auto permissions = std::filesystem::status(directory).permissions();
  CHECK((permissions & std::filesystem::perms::all) == std::filesystem::perms::owner_all);
}

TEST_CASE("a failed command's $LOCKSTEP_OUTPUT file is gone with it") {
  Harness harness;
  auto result =
      harness.run("core.command", {param("shell",
                                         "echo \"$LOCKSTEP_OUTPUT\"; "
                                         "echo done=yes > \"$LOCKSTEP_OUTPUT\"; exit 1")});
  CHECK(result.count(JobState::failed) == 1);
  auto lines = harness.log.texts(Level::info);
  REQUIRE(lines.size() == 1);
  CHECK_FALSE(std::filesystem::exists(lines.front()));
}

TEST_CASE("command validation: exactly one of argv and shell") {
  const auto& command = core_type("core.command");
  SECTION("both") {
    CHECK_THAT(validation_errors(command, {list_param("argv", {"true"}), param("shell", "true")}),
               Catch::Contains("give either 'argv' or 'shell', not both"));
  }
  SECTION("neither") {
    CHECK_THAT(validation_errors(command, {param("cwd", "/tmp")}),
               Catch::Contains("give the program to run: 'argv'"));
  }
  SECTION("an empty argv") {
    CHECK_THAT(validation_errors(command, {list_param("argv", {})}),
               Catch::Contains("'argv' is empty"));
  }
  SECTION("a malformed variable name") {
    CHECK_THAT(
        validation_errors(command, {param("shell", "true"), map_param("env", {{"A=B", "c"}})}),
        Catch::Contains("'env': 'A=B' is not a variable name"));
  }
  SECTION("one of them is fine") {
    CHECK(validation_errors(command, {list_param("argv", {"true"})}).empty());
    CHECK(validation_errors(command, {param("shell", "true")}).empty());
  }
}

TEST_CASE("command validation: shell_program must name a program that exists") {
  const auto& command = core_type("core.command");
  auto shell_program = [](std::string text) {
    return RawEntry{"shell_program", RawValue::scalar(std::move(text), {"test.yaml", 7, 22})};
  };
  SECTION("a name not in PATH, at the value's position") {
    CHECK_THAT(validation_errors(command,
                                 {param("shell", "true"), shell_program("lockstep-no-such-shell")}),
               Catch::StartsWith("test.yaml:7:22: error: job 'j': parameter 'shell_program' "
                                 "names no program in PATH: 'lockstep-no-such-shell' (PATH is "));
  }
  SECTION("an absolute path to nothing") {
    CHECK_THAT(
        validation_errors(command, {param("shell", "true"), shell_program("/no/such/shell")}),
        Catch::Contains("test.yaml:7:22: error: job 'j': parameter 'shell_program' names no "
                        "executable file: '/no/such/shell'"));
  }
  SECTION("a relative path") {
    CHECK_THAT(validation_errors(command, {param("shell", "true"), shell_program("bin/bash")}),
               Catch::Contains("must be a program's name (bash) or an absolute path"));
  }
  SECTION("with argv, which runs no shell") {
    CHECK_THAT(validation_errors(command, {list_param("argv", {"true"}), shell_program("bash")}),
               Catch::Contains("'shell_program' goes with 'shell', not with 'argv'"));
  }
  SECTION("a program that is no POSIX shell: values would be quoted for a shell it is not") {
    CHECK_THAT(validation_errors(command, {param("shell", "true"), shell_program("/bin/true")}),
               Catch::Contains("test.yaml:7:22: error: job 'j': parameter 'shell_program' must be "
                               "a POSIX shell (sh, dash, bash, ksh, mksh, zsh, yash, posh, "
                               "busybox), whose quoting lockstep writes ${...} values for; got "
                               "'/bin/true' (run another program with argv)"));
  }
  SECTION("bash, sh and an absolute path are fine") {
    CHECK(validation_errors(command, {param("shell", "true"), shell_program("bash")}).empty());
    CHECK(validation_errors(command, {param("shell", "true"), shell_program("sh")}).empty());
    CHECK(validation_errors(command, {param("shell", "true"), shell_program("/bin/sh")}).empty());
  }
}

TEST_CASE("command validation: argv is a list, grace a duration") {
  const auto& command = core_type("core.command");
  CHECK_THAT(validation_errors(command, {param("argv", "make test")}),
             Catch::Contains("parameter 'argv' must be a list of strings"));
  CHECK_THAT(validation_errors(command, {param("shell", "true"), param("grace", "forever")}),
             Catch::Contains("parameter 'grace' must be a duration"));
}

}  // namespace lockstep::test
