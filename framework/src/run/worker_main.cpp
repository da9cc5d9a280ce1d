#include "run/worker_main.hpp"

#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

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
  WorkerContext(Channel& channel, const Message& run, const CancelToken& token)
      : channel_(channel),
        id_(run.value("id", std::string())),
        params_(worker::params_from_message(run.at("params"))),
        item_{run.value("item", std::string()), run.value("fields", StringMap())},
        index_(run.value("index", std::uint64_t{0})),
        attempt_(run.value("attempt", 1)),
        token_(token),
        logger_(channel) {}

  const std::string& id() const override { return id_; }
  const Params& params() const override { return params_; }
  const Item& item() const override { return item_; }
  std::uint64_t index() const override { return index_; }
  int attempt() const override { return attempt_; }
  const CancelToken& cancel_token() const override { return token_; }
  Logger& log() override { return logger_; }
  void output(std::string key, std::string value) override {
    channel_.send({{"t", "output"}, {"key", std::move(key)}, {"value", std::move(value)}});
  }
  std::optional<std::string> input(std::string_view reference) const override {
    return channel_.input(reference);
  }
  void output_list(std::string key, std::vector<std::string> values) override {
    channel_.send({{"t", "output"}, {"key", std::move(key)}, {"values", std::move(values)}});
  }

 private:
  class ChannelLogger final : public Logger {
   public:
    explicit ChannelLogger(Channel& channel) : channel_(channel) {}
    void write(Level level, std::string_view line) override {
      channel_.send({{"t", "log"}, {"level", static_cast<int>(level)}, {"line", line}});
    }

   private:
    Channel& channel_;
  };

  Channel& channel_;
  std::string id_;
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
    if (kind == "run") channel.push({std::move(*message)});
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

Message run_one(Channel& channel, const Registry& registry, const Request& request) {
  const auto type_name = request.run.value("type", std::string());
  const auto found = registry.lookup_job_type(type_name);
  if (found.job_type == nullptr) {
    return {{"t", "done"}, {"state", "failed"}, {"message", "worker process: " + found.error}};
  }
  const CancelToken token({request.cancel.get()});
  try {
    WorkerContext context(channel, request.run, token);
    auto job = found.job_type->factory(context.params());
    job->run(context);
    return {{"t", "done"}, {"state", "ok"}};
  } catch (const Cancelled&) {
    return {{"t", "done"}, {"state", "cancelled"}, {"message", "cancelled"}};
  } catch (const std::exception& e) {
    return {{"t", "done"}, {"state", "failed"}, {"message", e.what()}};
  } catch (...) {
    return {{"t", "done"}, {"state", "failed"}, {"message", "unknown exception"}};
  }
}

}  // namespace

int serve_worker(int fd) {
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
    channel.send(run_one(channel, registry, request));
  }
}

}  // namespace lockstep::run
