// tools/fuzz/fuzz_shell_quote.cpp — libFuzzer entry point: any bytes, quoted for a shell, come
// back from the shell as exactly those bytes.
//
//   tools/fuzz/run 60        # fuzzes this target and the pipeline loader, sharing the time
//
// The first byte picks the place of the value in the command line (bare, inside '...', inside
// "...", all three at once, or behind what the quoting must follow: a $(...) inside "...", a
// comment with a quote in it, a here-document, an assignment) and the shell (sh or bash); the
// rest is the value. It goes through
// interpolate() as ${item} of a shell-code parameter, and `SHELL -c "printf %s QUOTED"` must
// print it byte for byte and exit 0. A value with a NUL byte must be refused instead (no shell
// word can hold one). Anything else traps, and libFuzzer keeps the input.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/interpolate.hpp"

extern char** environ;

namespace {

struct Form {
  std::string_view text;  // the shell-code parameter, with ${item} where the value goes
  int copies;             // how many times the output holds the value
  std::string_view end;   // then this ($(...) drops trailing newlines: a '.' keeps them)
};
constexpr Form kForms[] = {
    {"printf %s ${item}", 1, ""},
    {"printf %s '${item}'", 1, ""},
    {"printf %s \"${item}\"", 1, ""},
    {"printf %s ${item}'${item}'\"${item}\"", 3, ""},
    {"printf %s \"$$(printf %s ${item}; echo .)\"", 1, "."},
    {"# it's a comment: ${item}\nprintf %s ${item}", 1, ""},
    {"cat <<'EOF' >/dev/null\n'\nEOF\nprintf %s \"${item}\"", 1, ""},
    {"x=${item}; printf %s \"$$x\"", 1, ""},
};

// What `shell -c script` prints; -1 as status when it did not exit normally.
int run_shell(const char* shell, const std::string& script, std::string& out) {
  int fds[2];
  if (::pipe(fds) != 0) __builtin_trap();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> argv{const_cast<char*>(shell), const_cast<char*>("-c"),
                          const_cast<char*>(script.c_str()), nullptr};
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, shell, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (spawned != 0) __builtin_trap();
  // libFuzzer's timer (SIGALRM) interrupts system calls: a read cut short would close the pipe
  // under the shell, which would die of SIGPIPE.
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

const char* shell_for(std::uint8_t choice) {
  static const bool has_bash = ::access("/bin/bash", X_OK) == 0;
  return (choice & 0x4) != 0 && has_bash ? "/bin/bash" : "/bin/sh";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return -1;
  const auto& form = kForms[(data[0] & 0x3) | ((data[0] >> 1) & 0x4)];
  const lockstep::Item item{
      .value = std::string(reinterpret_cast<const char*>(data) + 1, size - 1), .fields = {}};
  lockstep::config::Scope scope{.item = &item};
  scope.shell = true;
  const auto quoted = lockstep::config::interpolate(form.text, scope);
  if (item.value.find('\0') != std::string::npos) {
    if (quoted.error.empty()) __builtin_trap();  // a NUL must be refused, never cut short
    return 0;
  }
  if (!quoted.error.empty()) __builtin_trap();
  std::string out;
  if (run_shell(shell_for(data[0]), quoted.text, out) != 0) __builtin_trap();
  std::string expected;
  for (int i = 0; i < form.copies; ++i) expected += item.value;
  expected += form.end;
  if (out != expected) __builtin_trap();
  return 0;
}
