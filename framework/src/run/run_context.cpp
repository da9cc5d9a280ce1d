#include "run/run_context.hpp"

namespace lockstep::run {

const std::string& RunContext::id() const {
  if (id_.empty()) id_ = stage_.instance_id(plan_, index_);
  return id_;
}

const Item& RunContext::item() const {
  if (!item_) item_.emplace(plan_.source.item(index_));
  return *item_;
}

void RunContext::output(std::string key, std::string value) {
  stage_.note_output(key, value);
  stage_.shared().outputs.publish(plan_.output_name, index_, key, std::move(value));
}

std::optional<std::string> RunContext::input(std::string_view reference) const {
  return stage_.shared().outputs.get(reference);
}

void RunContext::RunLogger::write(Level level, std::string_view line) {
  context_.stage_.shared().log.write(context_.id(), level, line);
}

}  // namespace lockstep::run
