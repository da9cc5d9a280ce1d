// Key functions of the job interfaces: defined here, so that liblockstep holds the one vtable and
// type_info of each, whatever visibility plugins are built with.
#include "lockstep/plugin/job.hpp"

#include <stdexcept>

namespace lockstep::inline LOCKSTEP_ABI {

Logger::~Logger() = default;
JobContext::~JobContext() = default;

void JobContext::output_list(std::string key, std::vector<std::string> /*values*/) {
  throw std::logic_error("this job context cannot publish a list (output '" + key + "')");
}
Job::~Job() = default;

std::string item_text(const Item& item) {
  // A file's item carries its path, name and stem as fields, and the path as its value: that
  // value says it all. Matrix and map items have a value made for ${item} ("{k: v}"): spell the
  // fields as pairs instead.
  const auto path = item.fields.find("path");
  if (item.fields.empty() || (path != item.fields.end() && path->second == item.value)) {
    return item.value;
  }
  std::string text;
  for (const auto& [key, value] : item.fields) {
    if (!text.empty()) text += ", ";
    text += key;
    text += '=';
    text += value;
  }
  return text;
}

Params validate_job_params(const JobType& type, std::span<const RawEntry> given,
                           const SourceLocation& where, std::string_view context,
                           Diagnostics& diagnostics) {
  auto errors_before = diagnostics.error_count();
  auto params = validate_params(type.params, given, where, context, diagnostics);
  // Cross-parameter rules only make sense once every single parameter is well-formed.
  if (type.check && diagnostics.error_count() == errors_before) {
    if (auto problem = type.check(params); !problem.empty()) {
      diagnostics.error(where, std::string(context) + problem);
    }
  }
  return params;
}

}  // namespace lockstep
