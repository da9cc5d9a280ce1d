// What a job sees of the runner during one attempt. The id and the item are made only when the
// job asks for them: most short jobs never do, and formatting them costs more than the job.
#pragma once

#include <optional>
#include <string>

#include "lockstep/plugin/job.hpp"
#include "run/job_plan.hpp"
#include "run/stage_run.hpp"

namespace lockstep::run {

class RunContext final : public JobContext {
 public:
  RunContext(StageRun& stage, const JobPlan& plan, std::uint64_t index, int attempt,
             const Params& params, const CancelToken& token)
      : stage_(stage),
        plan_(plan),
        index_(index),
        attempt_(attempt),
        params_(params),
        token_(token),
        logger_(*this) {}

  const std::string& id() const override;
  const Params& params() const override { return params_; }
  const Item& item() const override;
  std::uint64_t index() const override { return index_; }
  int attempt() const override { return attempt_; }
  const CancelToken& cancel_token() const override { return token_; }
  Logger& log() override { return logger_; }
  void output(std::string key, std::string value) override;
  std::optional<std::string> input(std::string_view reference) const override;

  // For the runner, which may have made the item already (to fill in templates).
  void set_item(Item item) { item_ = std::move(item); }

 private:
  class RunLogger final : public Logger {
   public:
    explicit RunLogger(RunContext& context) : context_(context) {}
    void write(Level level, std::string_view line) override;

   private:
    RunContext& context_;
  };

  StageRun& stage_;
  const JobPlan& plan_;
  std::uint64_t index_;
  int attempt_;
  const Params& params_;
  const CancelToken& token_;
  RunLogger logger_;
  mutable std::string id_;
  mutable std::optional<Item> item_;
};

}  // namespace lockstep::run
