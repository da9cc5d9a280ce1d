#include "run/crash_note.hpp"

#include "lockstep/pipeline/runner.hpp"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>

namespace lockstep::run {
namespace {

// initial-exec: reading it in a signal handler never allocates (liblockstep is linked, not
// dlopen'd, by programs that install the note).
thread_local const RunningInstance* running __attribute__((tls_model("initial-exec"))) = nullptr;

constexpr std::array kFatal = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
std::array<struct sigaction, kFatal.size()> previous{};

// Appends to a fixed buffer; what does not fit is cut.
struct Line {
  char text[512];
  std::size_t size = 0;

  void add(std::string_view part) noexcept {
    for (char c : part) {
      if (size < sizeof text) text[size++] = c;
    }
  }
  void add(std::uint64_t number) noexcept {
    char digits[20];
    int count = 0;
    do {
      digits[count++] = static_cast<char>('0' + number % 10);
      number /= 10;
    } while (number != 0);
    while (count > 0 && size < sizeof text) text[size++] = digits[--count];
  }
};

void note_crash(int signal) noexcept {
  const int saved_errno = errno;
  Line line;
  line.add("lockstep: crashed (SIG");
  const char* name = ::sigabbrev_np(signal);
  line.add(name != nullptr ? std::string_view(name) : std::string_view("?"));
  line.add(") while running: ");
  if (const auto* instance = running) {
    line.add(instance->stage);
    if (instance->iteration > 0) {
      line.add("@");
      line.add(static_cast<std::uint64_t>(instance->iteration));
    }
    line.add("/");
    line.add(instance->job);
    if (instance->fans_out) {
      line.add("[");
      line.add(instance->index);
      line.add("]");
    }
  } else {
    line.add("no job (the crash came from outside the jobs)");
  }
  line.add("\n");
  [[maybe_unused]] auto written = ::write(STDERR_FILENO, line.text, line.size);
  // Hands the signal on: raised again when this handler returns, to the handler before ours.
  for (std::size_t i = 0; i < kFatal.size(); ++i) {
    if (kFatal[i] == signal) ::sigaction(signal, &previous[i], nullptr);
  }
  ::raise(signal);
  errno = saved_errno;
}

}  // namespace

CrashMark::CrashMark(const RunningInstance& instance) noexcept : outer_(running) {
  running = &instance;
}

CrashMark::~CrashMark() { running = outer_; }

}  // namespace lockstep::run

namespace lockstep::inline LOCKSTEP_ABI {

void install_crash_note() noexcept {
  using run::kFatal;
  using run::previous;
  static std::atomic<bool> installed{false};
  if (installed.exchange(true)) return;
  struct sigaction action {};
  action.sa_handler = run::note_crash;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;
  for (std::size_t i = 0; i < kFatal.size(); ++i) ::sigaction(kFatal[i], &action, &previous[i]);
}

}  // namespace lockstep
