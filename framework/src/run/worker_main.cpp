#include "run/worker_main.hpp"

#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "lockstep/pipeline/instance_id.hpp"
#include "lockstep/pipeline/plugin_loader.hpp"
#include "run/worker_protocol.hpp"

namespace lockstep::run {
namespace {

using worker::Message;

// One attempt lockstep asked for, with the source its `cancel` messages set.
struct Request {
  Message run;
  std::shared_ptr<CancelSource> cancel = std::make_shared<CancelSource>();
};

// The socket to lockstep: sends from any thread of a job, one message at a time; answers to
// input requests arrive through the reader thread.
class Channel {
 public:
  explicit Channel(int fd) : fd_(fd) {}

  void send(const Message& message) {
    std::lock_guard lock(send_mutex_);
    worker::send(fd_, message);  // lockstep gone: the reader kills us at once
  }

  std::optional<std::string> input(std::string_view reference) {
    std::lock_guard asking(input_mutex_);  // one question at a time
    auto answer = std::make_shared<std::promise<Message>>();
    auto future = answer->get_future();
    {
      std::lock_guard lock(state_mutex_);
      pending_answer_ = answer;
    }
    send({{"t", "input"}, {"reference", reference}});
    auto reply = future.get();
    if (!reply.contains("value") || !reply["value"].is_string()) return std::nullopt;
    return reply["value"].get<std::string>();
  }

  // On the reader thread.
  void answer(Message reply) {
    std::shared_ptr<std::promise<Message>> waiting;
    {
      std::lock_guard lock(state_mutex_);
      waiting = std::move(pending_answer_);
    }
    if (waiting) waiting->set_value(std::move(reply));
  }

  void push(Request request) {
    {
      std::lock_guard lock(state_mutex_);
      latest_cancel_ = request.cancel;
      queue_.push_back(std::move(request));
    }
    arrived_.notify_one();
  }

  // Cancels the attempt asked for last: a `cancel` always follows the `run` it is about.
  void cancel() {
    std::lock_guard lock(state_mutex_);
    if (latest_cancel_) latest_cancel_->cancel();
  }

  Request pop() {
    std::unique_lock lock(state_mutex_);
    arrived_.wait(lock, [&] { return !queue_.empty(); });
    auto request = std::move(queue_.front());
    queue_.pop_front();
    return request;
  }

 private:
  int fd_;
  std::mutex send_mutex_;
  std::mutex input_mutex_;
  std::mutex state_mutex_;  // guards what follows
  std::condition_variable arrived_;
  std::deque<Request> queue_;
  std::shared_ptr<CancelSource> latest_cancel_;
  std::shared_ptr<std::promise<Message>> pending_answer_;
};

class WorkerContext final : public JobContext {
 public:
  // For a `run` (one attempt) or a `batch` (then next_instance() says which instance runs).
  WorkerContext(Channel& channel, const Message& run, const CancelToken& token)
      : channel_(channel),
        id_(run.value("id", std::string())),
        params_(worker::params_from_message(run.at("params"))),
        item_{run.value("item", std::string()), run.value("fields", StringMap())},
        index_(run.value("index", std::uint64_t{0})),
        attempt_(run.value("attempt", 1)),
        token_(token),
        logger_(*this) {
    if (run.value("t", std::string()) == "batch") {
      batch_.emplace(Naming{run.value("stage", std::string()), run.value("iteration", 0),
                            run.value("job", std::string()), run.value("fans_out", false)});
      if (const auto range = run.find("range"); range != run.end() && range->size() == 2) {
        range_.emplace((*range)[0].get<std::int64_t>(), (*range)[1].get<std::int64_t>());
      }
    }
  }

  void next_instance(std::uint64_t index) {
    index_ = index;
    id_.clear();  // made again when the job asks
    if (range_) {
      item_.value = std::to_string(range_->first + static_cast<std::int64_t>(index) * range_->second);
    }
  }

  const std::string& id() const override {
    if (id_.empty() && batch_) {
      std::optional<std::uint64_t> index;
      if (batch_->fans_out) index = index_;
      id_ = to_string(InstanceId{batch_->stage, batch_->iteration, batch_->job, index});
    }
    return id_;
  }
  const Params& params() const override { return params_; }
  const Item& item() const override { return item_; }
  std::uint64_t index() const override { return index_; }
  int attempt() const override { return attempt_; }
  const CancelToken& cancel_token() const override { return token_; }
  Logger& log() override { return logger_; }
  void output(std::string key, std::string value) override {
    channel_.send({{"t", "output"},
                   {"index", index_},
                   {"key", std::move(key)},
                   {"value", std::move(value)}});
  }
  std::optional<std::string> input(std::string_view reference) const override {
    return channel_.input(reference);
  }
  void output_list(std::string key, std::vector<std::string> values) override {
    channel_.send({{"t", "output"},
                   {"index", index_},
                   {"key", std::move(key)},
                   {"values", std::move(values)}});
  }

 private:
  class ChannelLogger final : public Logger {
   public:
    explicit ChannelLogger(WorkerContext& context) : context_(context) {}
    void write(Level level, std::string_view line) override {
      context_.channel_.send({{"t", "log"},
                              {"index", context_.index_},
                              {"level", static_cast<int>(level)},
                              {"line", line}});
    }

   private:
    WorkerContext& context_;
  };

  // How the instances of a batch are named.
  struct Naming {
    std::string stage;
    int iteration;
    std::string job;
    bool fans_out;
  };

  Channel& channel_;
  std::optional<Naming> batch_;
  std::optional<std::pair<std::int64_t, std::int64_t>> range_;  // a range fan-out's from and step
  mutable std::string id_;
  Params params_;
  Item item_;
  std::uint64_t index_;
  int attempt_;
  const CancelToken& token_;
  ChannelLogger logger_;
};

// Every message but `hello`, until lockstep closes its end: then nothing we started may stay.
void read_requests(int fd, Channel& channel) {
  while (auto message = worker::receive(fd)) {
    const auto kind = message->value("t", std::string());
    if (kind == "run" || kind == "batch") channel.push({std::move(*message)});
    if (kind == "cancel") channel.cancel();
    if (kind == "input") channel.answer(std::move(*message));
  }
  ::kill(0, SIGKILL);  // our process group: this worker and what its jobs started
  ::_exit(0);
}

// A sanitizer reserves terabytes of shadow address space at start, so under RLIMIT_AS its
// allocator fails at once; sanitizer builds leave `memory:` unenforced (tests of it need a release
// build).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kAddressSpaceCanBeLimited = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kAddressSpaceCanBeLimited = false;
#else
constexpr bool kAddressSpaceCanBeLimited = true;
#endif
#else
constexpr bool kAddressSpaceCanBeLimited = true;
#endif

// RLIMIT_CPU counts the process's whole life: each attempt gets `limit` more than it used.
void limit_cpu_of_next_attempt(std::chrono::nanoseconds limit) {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto used = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + 1;
  const auto seconds = std::chrono::ceil<std::chrono::seconds>(limit).count();
  const rlimit cpu{static_cast<rlim_t>(used + seconds), RLIM_INFINITY};
  ::setrlimit(RLIMIT_CPU, &cpu);
}

// How one attempt ended.
struct Ended {
  const char* state = "ok";  // ok, failed or cancelled
  std::string message{};
  bool out_of_memory = false;

  bool ok() const { return state[0] == 'o'; }
  // Into `message`: {state, message?, out_of_memory?}.
  void into(Message& message_out) const {
    message_out["state"] = state;
    if (!ok()) message_out["message"] = message;
    if (out_of_memory) message_out["out_of_memory"] = true;
  }
};

Ended run_job(const RegisteredJobType& type, WorkerContext& context) {
  try {
    auto job = type.factory(context.params());
    job->run(context);
    return {};
  } catch (const Cancelled&) {
    return {"cancelled", "cancelled"};
  } catch (const std::bad_alloc& e) {
    return {"failed", e.what(), true};
  } catch (const std::exception& e) {
    return {"failed", e.what()};
  } catch (...) {
    return {"failed", "unknown exception"};
  }
}

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Message run_one(Channel& channel, const RegisteredJobType& type, const Request& request) {
  const CancelToken token({request.cancel.get()});
  Message done = {{"t", "done"}};
  // The attempt's own time, without the message's way here (nor a worker's start before it).
  done["start_ns"] = steady_ns();
  try {
    WorkerContext context(channel, request.run, token);
    run_job(type, context).into(done);
  } catch (const std::exception& e) {  // the request's params
    Ended{"failed", e.what()}.into(done);
  }
  done["end_ns"] = steady_ns();
  return done;
}

// Instances [from, to) one after another until the batch is cancelled; an instance that does not
// succeed is reported as it ends. `progress` tells lockstep where a crash happened.
Message run_batch(Channel& channel, const RegisteredJobType& type, const Request& request,
                  worker::BatchProgress& progress) {
  const CancelToken token({request.cancel.get()});
  const auto from = request.run.value("from", std::uint64_t{0});
  const auto to = request.run.value("to", from);
  std::uint64_t i = from;
  bool restart = false;
  // Relaxed: lockstep reads them only once this process is dead.
  constexpr auto relaxed = std::memory_order_relaxed;
  progress.next.store(from, relaxed);
  WorkerContext context(channel, request.run, token);
  // Asked for when lockstep's observers see every attempt: each instance's start and end, as
  // one array in `done` (two numbers an instance) rather than a message each.
  const bool timed = request.run.value("timed", false);
  std::vector<std::int64_t> times;
  if (timed) times.reserve(2 * (to - from));
  for (; i < to && !restart; ++i) {
    if (token.cancelled()) break;
    progress.running.store(i + 1, relaxed);
    progress.next.store(i + 1, relaxed);
    context.next_instance(i);
    const auto start = steady_ns();
    const auto ended = run_job(type, context);
    progress.running.store(0, relaxed);
    if (timed) {
      times.push_back(start);
      times.push_back(steady_ns());
    }
    if (ended.ok()) continue;
    restart = ended.out_of_memory;
    Message report = {{"t", "ended"}, {"index", i}, {"start_ns", start}, {"end_ns", steady_ns()}};
    ended.into(report);
    channel.send(report);
  }
  Message done = {{"t", "done"}, {"state", "ok"}, {"next", i}};
  if (restart) done["restart"] = true;
  if (timed) done["times"] = std::move(times);
  return done;
}

Message serve(Channel& channel, const Registry& registry, const Request& request,
              worker::BatchProgress& progress) {
  const auto found = registry.lookup_job_type(request.run.value("type", std::string()));
  if (found.job_type == nullptr) {
    return {{"t", "done"}, {"state", "failed"}, {"message", "worker process: " + found.error}};
  }
  if (request.run.value("t", std::string()) == "batch") {
    return run_batch(channel, *found.job_type, request, progress);
  }
  return run_one(channel, *found.job_type, request);
}

}  // namespace

int serve_worker(int fd, int progress_fd) {
  // A crashing job is reported by lockstep from our exit status; a core file per crash would
  // only fill the disk.
  const rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);

  auto hello = worker::receive(fd);
  if (!hello || hello->value("t", std::string()) != "hello") return 2;
  Registry registry;
  PluginLoader loader(registry, PluginLoader::search_dirs({}));
  Diagnostics diagnostics;
  for (const auto& plugin : hello->value("plugins", std::vector<std::string>())) {
    loader.load(plugin, {}, diagnostics);
  }
  if (diagnostics.has_errors()) {
    worker::send(fd, {{"t", "error"}, {"message", diagnostics.to_string()}});
    return 2;
  }
  worker::BatchProgress own_progress;  // for a worker started without a shared page
  auto* progress = progress_fd >= 0 ? worker::map_batch_progress(progress_fd) : nullptr;
  if (progress == nullptr) progress = &own_progress;
  Channel channel(fd);
  std::thread(read_requests, fd, std::ref(channel)).detach();

  std::optional<std::chrono::nanoseconds> cpu_time;
  if (hello->contains("cpu_time_ns")) cpu_time = std::chrono::nanoseconds(hello->at("cpu_time_ns"));
  if (hello->contains("memory") && kAddressSpaceCanBeLimited) {
    ::mallopt(M_ARENA_MAX, 1);  // an arena per thread would reserve 64 MiB of address space each
    const auto bytes = hello->at("memory").get<std::uint64_t>();
    const rlimit memory{static_cast<rlim_t>(bytes), static_cast<rlim_t>(bytes)};
    ::setrlimit(RLIMIT_AS, &memory);
  }
  channel.send({{"t", "ready"}});
  for (;;) {
    auto request = channel.pop();
    if (cpu_time) limit_cpu_of_next_attempt(*cpu_time);
    channel.send(serve(channel, registry, request, *progress));
  }
}

}  // namespace lockstep::run
