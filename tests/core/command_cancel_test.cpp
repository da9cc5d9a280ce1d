// core.command and the processes it starts: cancellation reaches the whole process group, and no
// process of a job outlives it. Each test marks its processes with a unique number in their
// command lines (a sleep of 60.0<pid><n> seconds) and looks for that number in /proc.
#include <sys/types.h>
#include <unistd.h>

#include <cstdio>

#include "core_harness.hpp"

namespace lockstep::test {

namespace {

// A sleep duration no other process on the machine has in its command line.
std::string unique_marker() {
  static int counter = 0;
  char text[64];
  std::snprintf(text, sizeof text, "60.0%07d%03d", static_cast<int>(::getpid()), ++counter);
  return text;
}

// Processes whose /proc/<pid>/cmdline contains `marker`. A zombie's cmdline is empty: only
// processes that still run (or have not yet exited) count.
std::vector<pid_t> processes_with(const std::string& marker) {
  std::vector<pid_t> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (read_file(entry.path() / "cmdline").find(marker) != std::string::npos) {
      found.push_back(static_cast<pid_t>(std::stoi(name)));
    }
  }
  return found;
}

// The shell and both of its sleeps.
constexpr std::size_t kProcessesPerGroup = 3;

}  // namespace

TEST_CASE("cancelling a command kills its whole process group and ends it as cancelled") {
  const auto marker = unique_marker();
  Harness harness;
  harness.start("core.command",
                {param("shell", "sleep " + marker + " & sleep " + marker + "; wait")});
  REQUIRE(eventually([&] { return processes_with(marker).size() == kProcessesPerGroup; }));

  const auto start = Clock::now();
  harness.cancel();
  auto result = harness.wait();
  CHECK(Clock::now() - start < 10s);
  CHECK(result.count(JobState::cancelled) == 1);
  CHECK(failure_message(result) == "cancelled");
  // The job reaped the shell; the background sleep, orphaned, is reaped by init. Give the kernel
  // its moment to tear them down, but none may survive.
  CHECK(eventually([&] { return processes_with(marker).empty(); }));
  CHECK(harness.log.contains(Logger::Level::warning, "cancelled: stopping process group"));
}

TEST_CASE("a group that ignores SIGTERM gets SIGKILL after its grace") {
  const auto marker = unique_marker();
  Harness harness;
  harness.start("core.command",
                {param("shell", "trap '' TERM; sleep " + marker + " & sleep " + marker + "; wait"),
                 param("grace", "300ms")});
  REQUIRE(eventually([&] { return processes_with(marker).size() == kProcessesPerGroup; }));

  const auto start = Clock::now();
  harness.cancel();
  auto result = harness.wait();
  const auto took = Clock::now() - start;
  CHECK(took >= 300ms);  // it did wait out the grace
  CHECK(took < 10s);
  CHECK(result.count(JobState::cancelled) == 1);
  CHECK(eventually([&] { return processes_with(marker).empty(); }));
  CHECK(harness.log.contains(Logger::Level::warning, "after SIGTERM: sending SIGKILL"));
}

TEST_CASE("a command that ends leaves nothing running behind it") {
  const auto marker = unique_marker();
  Harness harness;
  // The shell exits at once; its background sleep would hold the output pipe for a minute.
  const auto start = Clock::now();
  auto result =
      harness.run("core.command", {param("shell", "sleep " + marker + " & echo started; exit 0")});
  CHECK(Clock::now() - start < 10s);
  CHECK(result.ok());
  CHECK(harness.log.texts(Logger::Level::info) == std::vector<std::string>{"started"});
  CHECK(eventually([&] { return processes_with(marker).empty(); }));
}

TEST_CASE("cancelling one command leaves another job's command running") {
  const auto cancelled_marker = unique_marker();
  const auto other_marker = unique_marker();
  TempDir dir;
  const auto go = (dir.path() / "go").string();
  Harness cancelled;
  Harness other;
  cancelled.start("core.command", {param("shell", "sleep " + cancelled_marker + "; exit 0")});
  // Runs until the test creates `go`: it is certainly running while the other one is cancelled.
  other.start("core.command", {param("shell", "while [ ! -e '" + go + "' ]; do sleep 0.01; done; " +
                                                  "echo " + other_marker + " survived")});
  REQUIRE(eventually([&] {
    return processes_with(cancelled_marker).size() == 2 && !processes_with(other_marker).empty();
  }));

  cancelled.cancel();
  CHECK(cancelled.wait().count(JobState::cancelled) == 1);
  CHECK(eventually([&] { return processes_with(cancelled_marker).empty(); }));
  // Still there (its shell may be forking a `sleep` at this moment: one or two processes).
  CHECK_FALSE(processes_with(other_marker).empty());
  { std::ofstream touch(go); }
  auto result = other.wait();
  CHECK(result.ok());
  CHECK(other.log.texts(Logger::Level::info) ==
        std::vector<std::string>{other_marker + " survived"});
}

}  // namespace lockstep::test
