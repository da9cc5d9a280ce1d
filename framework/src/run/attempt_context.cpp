#include "run/attempt_context.hpp"

#include "lockstep/pipeline/output_text.hpp"
#include "run/job_plan.hpp"
#include "run/stage_run.hpp"

namespace lockstep::run {

AttemptContext::AttemptContext(StageRun& stage, const JobPlan& plan, std::uint64_t index,
                               int attempt, const Params& params, const CancelToken& token)
    : stage_(&stage),
      plan_(&plan),
      output_name_(plan.output_name),
      outputs_(stage.services().outputs),
      log_(stage.services().log),
      index_(index),
      attempt_(attempt),
      params_(params),
      token_(token),
      logger_(*this) {}

AttemptContext::AttemptContext(const JobInstance& instance, const CancelToken& token,
                               Outputs& outputs, LogSink& log)
    : given_item_(&instance.item),
      output_name_(instance.output_name.empty() ? instance.id : instance.output_name),
      outputs_(outputs),
      log_(log),
      index_(instance.index),
      attempt_(instance.attempt),
      params_(instance.params),
      token_(token),
      logger_(*this),
      id_(instance.id) {}

const std::string& AttemptContext::id() const {
  if (id_.empty() && stage_ != nullptr) id_ = stage_->instance_id(*plan_, index_);
  return id_;
}

const Item& AttemptContext::item() const {
  if (item_) return *item_;
  if (given_item_ != nullptr) return *given_item_;
  return item_.emplace(plan_->source.item(index_));
}

void AttemptContext::output(std::string key, std::string value) {
  if (stage_ != nullptr) stage_->note_output(key, value);
  outputs_.publish(output_name_, index_, key, std::move(value));
}

void AttemptContext::output_list(std::string key, std::vector<std::string> values) {
  if (stage_ != nullptr && !values.empty()) stage_->note_output(key, values.back());
  outputs_.publish_list(output_name_, index_, key, std::move(values));
}

std::optional<std::string> AttemptContext::input(std::string_view reference) const {
  return outputs_.get(reference);
}

void AttemptContext::AttemptLogger::write(Level level, std::string_view line) {
  // Every sink, an embedder's too, gets the line with the pipeline's secrets masked.
  context_.log_.write(context_.id(), level, mask_secrets(line));
}

}  // namespace lockstep::run
