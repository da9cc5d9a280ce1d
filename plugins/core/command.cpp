// core.command: runs a program (`argv`) or a shell command line (`shell`, run by /bin/sh or by
// `shell_program`) in a process group of its own. Its stdout goes to the job's log as info lines,
// its stderr as warnings; a non-zero exit fails the job. When the job is cancelled (or times out)
// the whole group gets SIGTERM, then SIGKILL after `grace`; when the command ends, whatever it left
// running in its group is ended the same way. Either way no process of the job outlives it. A
// command publishes outputs by writing KEY=value lines to the file named by $LOCKSTEP_OUTPUT.
#include <lockstep/plugin.hpp>

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include "child_process.hpp"
#include "job_types.hpp"
#include "output_file.hpp"
#include "program_path.hpp"

namespace lockstep::core {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// How often a running command looks at its cancellation token.
constexpr std::chrono::milliseconds kPollInterval{50};
// A named value rather than a temporary in type(): GCC 12 at -O1 with the sanitizers warns
// (-Wmaybe-uninitialized, a false positive) when a temporary ParamValue holding a Duration is
// moved into a spec.
const ParamValue kDefaultGrace = Duration(5s);

std::string check_command(const Params& params) {
  const bool argv = params.has("argv");
  const bool shell = params.has("shell");
  if (argv && shell) return "give either 'argv' or 'shell', not both";
  if (!argv && !shell) {
    return "give the program to run: 'argv' (a list: program and arguments) or 'shell' (a "
           "string run by /bin/sh -c)";
  }
  if (argv && params.get<StringList>("argv").empty()) {
    return "'argv' is empty: its first element is the program to run";
  }
  if (argv && params.has("shell_program")) {
    return "'shell_program' goes with 'shell', not with 'argv' ('argv' runs its program without a "
           "shell)";
  }
  if (params.has("env")) {
    for (const auto& [name, value] : params.get<StringMap>("env")) {
      if (name.empty() || name.find('=') != std::string::npos) {
        return "'env': '" + name + "' is not a variable name";
      }
    }
  }
  return {};
}

// The shell that runs `shell`: an absolute path as it is, a bare name found in lockstep's PATH
// (not the one `env` may give the command: what was checked is what runs); "" when there is none.
std::string find_shell(const std::string& program) {
  if (program.starts_with('/')) return is_executable_file(program) ? program : std::string();
  if (program.empty() || program.find('/') != std::string::npos) return {};
  const char* path = std::getenv("PATH");
  return find_in_path(program, path != nullptr ? path : "");
}

// The shells whose quoting lockstep writes ${...} values for: '...' takes every byte but ',
// and "..." every byte but \ " $ ` (fish, csh and others read quotes differently).
bool is_posix_shell(std::string_view program) {
  const auto name = program.substr(program.rfind('/') + 1);
  for (const std::string_view shell :
       {"sh", "dash", "bash", "ash", "ksh", "ksh93", "mksh", "zsh", "yash", "posh", "busybox"}) {
    if (name == shell) return true;
  }
  return false;
}

// shell_program's rule, checked at validation: a POSIX shell that exists and may be executed.
std::string check_shell_program(const ParamValue& value) {
  const auto& program = std::get<std::string>(value);
  if (program.empty() || (!program.starts_with('/') && program.find('/') != std::string::npos)) {
    return "must be a program's name (bash) or an absolute path (/usr/bin/bash), got '" + program +
           "'";
  }
  if (!find_shell(program).empty()) {
    if (is_posix_shell(program)) return {};
    return "must be a POSIX shell (sh, dash, bash, ksh, mksh, zsh, yash, posh, busybox), whose "
           "quoting lockstep writes ${...} values for; got '" +
           program + "' (run another program with argv)";
  }
  if (program.starts_with('/')) return "names no executable file: '" + program + "'";
  const char* path = std::getenv("PATH");
  return "names no program in PATH: '" + program + "' (PATH is " +
         (path != nullptr && *path != '\0' ? std::string(path) : std::string(kDefaultPath)) + ")";
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = sigabbrev_np(WTERMSIG(status));
    return "killed by signal " + std::to_string(WTERMSIG(status)) +
           (name != nullptr ? std::string(" (SIG") + name + ")" : std::string());
  }
  return "ended with wait status " + std::to_string(status);
}

class Command final : public Job {
 public:
  static JobType type() {
    return {"command",
            "Runs a program or a shell command; logs its output; KEY=value lines it writes to "
            "$LOCKSTEP_OUTPUT become outputs",
            {ParamSpec::string_list("argv").doc(
                 "the program and its arguments, run as they are (no shell): [make, -j4, test]"),
             ParamSpec::string("shell")
                 .doc("a command line, run by /bin/sh -c (or by shell_program): no bash-isms; "
                      "each ${...} in it is one value, quoted for the shell")
                 .shell_code(),
             ParamSpec::string("shell_program")
                 .doc("the shell that runs 'shell' (default sh, that is /bin/sh): bash, or an "
                      "absolute path; a name is looked up in PATH before anything runs")
                 .rule(&check_shell_program),
             ParamSpec::string("cwd").doc("the directory it runs in (default: lockstep's)"),
             ParamSpec::string_map("env").doc("variables added to its environment"),
             ParamSpec::duration("grace")
                 .doc("after SIGTERM, how long its process group has before SIGKILL")
                 .default_value(kDefaultGrace)
                 .min(0)},
            &check_command};
  }

  explicit Command(const Params& params) : grace_(params.get<Duration>("grace")) {
    if (params.has("argv")) {
      request_.argv = params.get<StringList>("argv");
      what_ = "'" + request_.argv.front() + "'";
    } else {
      request_.argv = {shell_path(params), "-c", params.get<std::string>("shell")};
      what_ = "shell command";
    }
    if (params.has("cwd")) request_.cwd = params.get<std::string>("cwd");
    if (params.has("env")) request_.env = params.get<StringMap>("env");
  }

  void run(JobContext& context) override {
    auto& log = context.log();
    auto log_line = [&log](Stream stream, std::string_view line) {
      if (stream == Stream::out) {
        log.info(line);
      } else {
        log.warning(line);
      }
    };

    OutputFile outputs;
    auto request = request_;
    request.env.insert_or_assign("LOCKSTEP_OUTPUT", outputs.path());

    ChildProcess child(request);
    while (!child.exited() && !context.cancelled()) child.pump(kPollInterval, log_line);
    const bool cancelled = !child.exited();
    if (cancelled) log.warning("cancelled: stopping process group ", child.pid());
    const int status = end_group(child, log_line, log);

    if (cancelled) throw Cancelled{};
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      throw std::runtime_error(what_ + " " + describe_status(status));
    }
    outputs.publish(context);
  }

 private:
  static std::string shell_path(const Params& params) {
    if (!params.has("shell_program")) return "/bin/sh";
    const auto& program = params.get<std::string>("shell_program");
    auto found = find_shell(program);
    // Checked at validation; it can only have gone since.
    if (found.empty()) throw std::runtime_error("cannot run shell_program '" + program + "'");
    return found;
  }

  // SIGTERM to the group, up to `grace` for it to end and close its output, then SIGKILL and
  // the leader's wait status. After a normal exit only stragglers are left to receive them.
  int end_group(ChildProcess& child, const ChildProcess::LineHandler& log_line, Logger& log) {
    child.signal_group(SIGTERM);
    const auto deadline = Clock::now() + grace_;
    while (!(child.exited() && child.output_closed())) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left <= 0ms) {
        if (!child.exited())
          log.warning("process group ", child.pid(), " still running ", format_duration(grace_),
                      " after SIGTERM: sending SIGKILL");
        break;
      }
      child.pump(std::min(left, kPollInterval), log_line);
    }
    return child.reap(log_line);
  }

  SpawnRequest request_;
  std::string what_;  // how failure messages name the command
  Duration grace_;
};

}  // namespace

void add_command(Registry& registry) { registry.add_job<Command>(); }

}  // namespace lockstep::core
