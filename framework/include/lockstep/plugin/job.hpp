// lockstep/plugin/job.hpp — a job type is a class with run(JobContext&).
//
//   class Greet final : public lockstep::Job {
//    public:
//     static lockstep::JobType type();                 // name, doc, parameters: see plugin.hpp
//     explicit Greet(const lockstep::Params& params) : name_(params.get<std::string>("name")) {}
//     void run(lockstep::JobContext& ctx) override {
//       ctx.log().info("hello, ", name_, " (item ", ctx.item().value, ")");
//       if (!ctx.sleep_for(std::chrono::seconds(1))) throw lockstep::Cancelled{};
//       ctx.output("greeted", name_);               // later stages can read it
//       ctx.output("parts", std::vector<std::string>{"a", "b"});  // ... or fan out over it
//     }
//    private:
//     std::string name_;
//   };
//
// The framework makes one object per job instance (per attempt) from validated parameters and
// calls run() on a worker of the job's bulkhead. A job fails by throwing; anything it throws is
// caught and recorded with its message. Cancellation is cooperative: poll ctx.cancelled() or
// sleep with ctx.sleep_for(), which wakes at once when the job is cancelled or times out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "lockstep/engine/cancel_token.hpp"
#include "lockstep/export.hpp"
#include "lockstep/plugin/params.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

// A job's log. Each line is tagged with the job's identity by the framework.
class LOCKSTEP_API Logger {
 public:
  enum class Level : unsigned char { debug, info, warning, error };
  virtual ~Logger();
  virtual void write(Level level, std::string_view line) = 0;

  // Pieces are joined as by an ostream: log.info("copied ", n, " files").
  template <class... Pieces>
  void debug(const Pieces&... pieces) {
    write(Level::debug, join(pieces...));
  }
  template <class... Pieces>
  void info(const Pieces&... pieces) {
    write(Level::info, join(pieces...));
  }
  template <class... Pieces>
  void warning(const Pieces&... pieces) {
    write(Level::warning, join(pieces...));
  }
  template <class... Pieces>
  void error(const Pieces&... pieces) {
    write(Level::error, join(pieces...));
  }

 private:
  template <class... Pieces>
  static std::string join(const Pieces&... pieces) {
    std::ostringstream out;
    (out << ... << pieces);
    return std::move(out).str();
  }
};

// The fan-out item of a job instance: what ${item} stands for in its parameters.
struct Item {
  std::string value{};  // the item as text: an items entry, a range number; "" without fan-out
  StringMap fields{};   // the named parts of a matrix or map item: ${item.KEY}
};

// The item as a person reads it in reports and traces: the path for `foreach: files`, the value
// for items, range and from_outputs, "key=value" pairs (by key, comma-separated) for a matrix or
// a map item, "" without fan-out. item_text({.value = "", .fields = {{"os", "linux"},
// {"cc", "gcc"}}}) is "cc=gcc, os=linux".
LOCKSTEP_API std::string item_text(const Item& item);

class LOCKSTEP_API JobContext {
 public:
  virtual ~JobContext();

  virtual const std::string& id() const = 0;  // "stage/job[index]", as in logs and reports
  virtual const Params& params() const = 0;
  virtual const Item& item() const = 0;
  virtual std::uint64_t index() const = 0;  // the instance's index in its fan-out, from 0
  virtual int attempt() const = 0;          // 1 for the first attempt
  virtual const CancelToken& cancel_token() const = 0;
  virtual Logger& log() = 0;

  // Publishes a result that later stages can read (from_outputs, input()). Publishing a key
  // again replaces what this instance published under it before (a value or a list).
  virtual void output(std::string key, std::string value) = 0;
  // A result published by an earlier stage: "stage.job.key"; nullopt when there is none. Of a
  // list, its last element.
  virtual std::optional<std::string> input(std::string_view reference) const = 0;

  // Publishes a list under one key: `foreach: { from_outputs: stage.job.key }` makes an instance
  // of each element, in instance order, then element order. Replaces like output(key, value).
  void output(std::string key, std::vector<std::string> values) {
    output_list(std::move(key), std::move(values));
  }

  bool cancelled() const noexcept { return cancel_token().cancelled(); }
  // Sleeps; returns false if it woke early because the job was cancelled.
  bool sleep_for(Duration duration) const { return cancel_token().sleep_for(duration); }

 protected:
  // What output(key, list) calls; every context lockstep makes implements it (the default
  // throws). Declared last, so that the places of the functions above stay where plugins built
  // before it expect them.
  virtual void output_list(std::string key, std::vector<std::string> values);
};

class LOCKSTEP_API Job {
 public:
  virtual ~Job();
  virtual void run(JobContext& context) = 0;
};

// What a job type tells the framework about itself.
// An output a job type publishes (JobContext::output): `lockstep plugins` lists it, and a
// pipeline that reads another key of a job of this type is an error before anything runs.
struct OutputSpec {
  std::string name;  // the key
  std::string doc;   // one line: what the value is
};

struct JobType {
  std::string name;  // [a-z0-9_]+, unique in its plugin; pipelines say "<plugin>.<name>"
  std::string doc;   // one line, shown by `lockstep plugins`
  std::vector<ParamSpec> params{};
  // Rules that involve several parameters ("exactly one of argv and shell"): returns what is
  // wrong, or "" when all is well. Runs during validation, before anything runs.
  std::function<std::string(const Params&)> check{};
  // What it publishes; empty: undeclared (any key can be read, as from core.command).
  std::vector<OutputSpec> outputs{};
};

// validate_params() against the type's specs, then its check(); errors go to `diagnostics`.
LOCKSTEP_API Params validate_job_params(const JobType& type, std::span<const RawEntry> given,
                                        const SourceLocation& where, std::string_view context,
                                        Diagnostics& diagnostics);

// Makes a job from parameters already checked against its JobType's specs.
using JobFactory = std::function<std::unique_ptr<Job>(const Params&)>;

// Makes a job in storage the framework gives (`size` bytes, aligned to `align`), so that a short
// job costs no heap allocation; the framework destroys it with `job->~Job()`. Registry::
// add_job<J>() fills it in; a type without one is made by its JobFactory.
struct JobPlacement {
  std::size_t size = 0;
  std::size_t align = 0;
  Job* (*make)(void* where, const Params& params) = nullptr;
};

}  // namespace lockstep
