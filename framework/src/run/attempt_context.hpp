// What a job sees of the framework during one attempt: the one JobContext there is, used by the
// runner (an instance of a stage) and by make_job_task (an instance on its own). For the runner,
// the id and the item are made only when the job asks for them: most short jobs never do, and
// formatting them costs more than the job.
#pragma once

#include <optional>
#include <string>

#include "lockstep/pipeline/job_instance.hpp"
#include "lockstep/plugin/job.hpp"

namespace lockstep::run {

class StageRun;
struct JobPlan;

class AttemptContext final : public JobContext {
 public:
  // An attempt of instance `index` of a stage's job.
  AttemptContext(StageRun& stage, const JobPlan& plan, std::uint64_t index, int attempt,
                 const Params& params, const CancelToken& token);
  // An attempt of an instance outside any stage: it publishes to `outputs` and logs to `log`.
  AttemptContext(const JobInstance& instance, const CancelToken& token, Outputs& outputs,
                 LogSink& log);

  const std::string& id() const override;
  const Params& params() const override { return params_; }
  const Item& item() const override;
  std::uint64_t index() const override { return index_; }
  int attempt() const override { return attempt_; }
  const CancelToken& cancel_token() const override { return token_; }
  Logger& log() override { return logger_; }
  void output(std::string key, std::string value) override;
  void output_list(std::string key, std::vector<std::string> values) override;
  std::optional<std::string> input(std::string_view reference) const override;

  // For the runner, which may have made the item already (to fill in templates).
  void set_item(Item item) { item_ = std::move(item); }
  // For the runner, which runs a chunk's plain instances one after another in one context: the
  // first attempt of instance `index` of the same job, with the same params and token.
  void retarget(std::uint64_t index) noexcept {
    index_ = index;
    id_.clear();
    item_.reset();
  }
  const JobPlan& plan() const noexcept { return *plan_; }  // only in a stage

 private:
  class AttemptLogger final : public Logger {
   public:
    explicit AttemptLogger(AttemptContext& context) : context_(context) {}
    void write(Level level, std::string_view line) override;

   private:
    AttemptContext& context_;
  };

  StageRun* stage_ = nullptr;      // null outside a stage
  const JobPlan* plan_ = nullptr;  // null outside a stage
  const Item* given_item_ = nullptr;
  std::string_view output_name_;   // "stage.job": where output() publishes
  Outputs& outputs_;
  LogSink& log_;
  std::uint64_t index_;
  int attempt_;
  const Params& params_;
  const CancelToken& token_;
  AttemptLogger logger_;
  mutable std::string id_;
  mutable std::optional<Item> item_;
};

}  // namespace lockstep::run
