#include <algorithm>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>
#include <utility>

#include "lockstep/pipeline/instance_id.hpp"
#include "lockstep/pipeline/output_text.hpp"
#include "lockstep/pipeline/resume.hpp"
#include "report/resume_keys.hpp"

namespace lockstep::inline LOCKSTEP_ABI {
namespace {

using Json = nlohmann::json;

// ---- the earlier run, as its journal tells it ------------------------------------------------

struct JobRecord {
  std::string type, plugin, params, items;
  std::map<std::string, std::string> values;
  std::uint64_t size = 0;
  bool passed_on = false;  // from a `reused` record: the size of a from_outputs job is unknown
};

struct Succeeded {
  std::vector<IndexRange> ranges;
  std::vector<RestoredOutput> outputs;
  std::vector<std::uint64_t> output_records;  // which record each output came from
  std::uint64_t records = 0;                  // records read: numbers the next one
  // Adds a record's outputs ([index, key, value] each).
  void add_outputs(const Json& listed) {
    ++records;
    for (const auto& output : listed) {
      if (output.is_array() && output.size() == 3 && output[0].is_number_unsigned() &&
          output[1].is_string() && output[2].is_string()) {
        outputs.push_back(
            {output[0].get<std::uint64_t>(), output[1].get<std::string>(), output[2].get<std::string>()});
        output_records.push_back(records);
      }
    }
  }
  // What the instances published last, in instance order: a key written by two records (a
  // resumed run lists its reused outputs, then its `ok` records list them again) keeps the later
  // record's values, a list's values stay in their order.
  std::vector<RestoredOutput> published(std::uint64_t size) const {
    std::vector<std::size_t> order(outputs.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::ranges::stable_sort(order, [&](std::size_t a, std::size_t b) {
      return std::tie(outputs[a].index, outputs[a].key) < std::tie(outputs[b].index, outputs[b].key);
    });
    std::vector<RestoredOutput> kept;
    for (std::size_t at = 0; at < order.size();) {
      const auto& first = outputs[order[at]];
      std::size_t end = at;
      std::uint64_t latest = 0;
      for (; end < order.size() && outputs[order[end]].index == first.index &&
             outputs[order[end]].key == first.key;
           ++end) {
        latest = std::max(latest, output_records[order[end]]);
      }
      if (first.index < size) {
        for (auto i = at; i < end; ++i) {
          if (output_records[order[i]] == latest) kept.push_back(outputs[order[i]]);
        }
      }
      at = end;
    }
    return kept;
  }
};

std::string job_key(std::string_view stage, int iteration, std::string_view job) {
  std::string key(stage);
  key += '\0';
  key += std::to_string(iteration);
  key += '\0';
  key += job;
  return key;
}

struct Earlier {
  int version = 0;
  std::string run;
  bool finished = false;  // a run_end record
  bool interrupted = false;
  std::map<std::string, std::pair<std::string, std::string>> plugins;  // name: version, hash
  std::map<std::string, std::set<int>> iterations;                     // by stage
  std::map<std::string, JobRecord> jobs;                               // by job_key
  std::map<std::string, std::vector<std::string>> job_ids;  // by job_key(stage, iteration, "")
  std::map<std::string, Succeeded> succeeded;               // by job_key
  std::map<std::string, std::map<std::uint64_t, std::string>> ended;  // by job_key: state
};

std::uint64_t number(const Json& value) {
  return value.is_number_unsigned() ? value.get<std::uint64_t>() : 0;
}

void read_record(const Json& record, Earlier& earlier) {
  const auto type = record.value("t", "");
  if (type == "run") {
    earlier.version = record.value("version", 0);
    earlier.run = record.value("run", "");
  } else if (type == "plugin") {
    earlier.plugins[record.value("name", "")] = {record.value("version", ""),
                                                 record.value("hash", "")};
  } else if (type == "stage") {
    const auto stage = record.value("stage", "");
    const int iteration = record.value("iteration", 1);
    earlier.iterations[stage].insert(iteration);
    auto& ids = earlier.job_ids[job_key(stage, iteration, "")];
    if (const auto same = record.find("jobs_as_in"); same != record.end() && same->is_number()) {
      // Its jobs are those of an earlier iteration's record, unchanged.
      const int listed = same->get<int>();
      ids = earlier.job_ids[job_key(stage, listed, "")];
      for (const auto& id : ids) {
        if (const auto found = earlier.jobs.find(job_key(stage, listed, id));
            found != earlier.jobs.end()) {
          earlier.jobs[job_key(stage, iteration, id)] = found->second;
        }
      }
      return;
    }
    for (const auto& job : record.value("jobs", Json::array())) {
      ids.push_back(job.value("job", ""));
      JobRecord entry{job.value("type", ""),
                      job.value("plugin", ""),
                      job.value("params", ""),
                      job.value("items", ""),
                      {},
                      number(job.value("size", Json())),
                      false};
      const auto values = job.value("values", Json::object());  // items() views it
      for (const auto& [name, text] : values.items()) {
        if (text.is_string()) entry.values[name] = text.get<std::string>();
      }
      earlier.jobs[job_key(stage, iteration, job.value("job", ""))] = std::move(entry);
    }
  } else if (type == "ok") {
    auto& done = earlier.succeeded[job_key(record.value("stage", ""), record.value("iteration", 1),
                                           record.value("job", ""))];
    done.ranges.push_back(
        {number(record.value("from", Json())), number(record.value("to", Json()))});
    done.add_outputs(record.value("outputs", Json::array()));
  } else if (type == "reused") {
    // What that run took over from the one before it, written before it ran anything.
    const auto stage = record.value("stage", "");
    const int iteration = record.value("iteration", 1);
    const auto key = job_key(stage, iteration, record.value("job", ""));
    earlier.iterations[stage].insert(iteration);
    if (!earlier.jobs.contains(key)) {
      JobRecord entry{record.value("type", ""),
                      record.value("plugin", ""),
                      record.value("params", ""),
                      record.value("items", ""),
                      {},
                      0,
                      true};
      const auto values = record.value("values", Json::object());
      for (const auto& [name, text] : values.items()) {
        if (text.is_string()) entry.values[name] = text.get<std::string>();
      }
      earlier.jobs[key] = std::move(entry);
    }
    auto& done = earlier.succeeded[key];
    for (const auto& range : record.value("ranges", Json::array())) {
      if (range.is_array() && range.size() == 2) {
        done.ranges.push_back({number(range[0]), number(range[1])});
      }
    }
    done.add_outputs(record.value("outputs", Json::array()));
  } else if (type == "end") {
    const auto text = record.value("id", "");
    if (const auto id = parse_instance_id(text)) {
      earlier
          .ended[job_key(id->stage, std::max(id->iteration, 1), id->job)][id->index.value_or(0)] =
          record.value("state", "");
    }
  } else if (type == "run_end") {
    earlier.finished = true;
    earlier.interrupted = record.value("interrupted", false);
  }
}

// ---- reasons ---------------------------------------------------------------------------------

// "failed last time", "timed out last time".
std::string ended_reason(std::string state) {
  std::ranges::replace(state, '_', ' ');
  return state + " last time";
}

std::string quoted(const std::string& text) {
  constexpr std::size_t kLongest = 60;
  auto shown = mask_secrets(text);
  if (shown.size() > kLongest) shown = shown.substr(0, kLongest) + "...";
  return "'" + shown + "'";
}

// What changed in a job's parameters: "param 'path' changed: 'a' -> 'b'" (each, joined).
std::string params_change(const std::map<std::string, std::string>& before,
                          const std::map<std::string, std::string>& now) {
  std::vector<std::string> changes;
  for (const auto& [name, value] : now) {
    const auto was = before.find(name);
    if (was == before.end()) {
      changes.push_back("param '" + name + "' added: " + quoted(value));
    } else if (was->second != value) {
      changes.push_back("param '" + name + "' changed: " + quoted(was->second) + " -> " +
                        quoted(value));
    }
  }
  for (const auto& [name, value] : before) {
    if (!now.contains(name)) changes.push_back("param '" + name + "' removed");
  }
  if (changes.empty()) return "its parameters changed";  // a change only a hash tells
  std::string text;
  for (const auto& change : changes) text += (text.empty() ? "" : "; ") + change;
  return text;
}

void add_reason(JobResume& job, std::string why, std::uint64_t count) {
  const auto same = std::ranges::find(job.reasons, why, &RerunReason::why);
  if (same != job.reasons.end()) {
    same->count += count;
  } else {
    job.reasons.push_back({std::move(why), count});
  }
}

std::string grouped(std::uint64_t number) {
  auto digits = std::to_string(number);
  for (auto at = static_cast<std::ptrdiff_t>(digits.size()) - 3; at > 0; at -= 3) {
    digits.insert(static_cast<std::size_t>(at), ",");
  }
  return digits;
}

// ---- the planner -----------------------------------------------------------------------------

class Planner {
 public:
  Planner(const Pipeline& pipeline, const std::vector<PluginInfo>& plugins, Earlier earlier)
      : pipeline_(pipeline), earlier_(std::move(earlier)) {
    for (const auto& plugin : plugins) {
      plugins_[plugin.name] = {plugin.version,
                               plugin.path.empty() ? "" : RunJournal::file_hash(plugin.path)};
    }
  }

  ResumePlan plan() {
    ResumePlan plan;
    plan.earlier_run = earlier_.run;
    for (const auto& stage : pipeline_.stages) plan_stage(stage, plan);
    return plan;
  }

 private:
  void plan_stage(const StageSpec& stage, ResumePlan& plan) {
    std::set<int> iterations = {1};
    if (const auto found = earlier_.iterations.find(stage.name);
        found != earlier_.iterations.end()) {
      iterations.insert(found->second.begin(), found->second.end());
    }
    bool earlier_iteration_reruns = false;
    for (const int iteration : iterations) {
      if (!stage.repeat && iteration > 1) break;
      bool reruns = false;
      for (const auto& job : stage.jobs) {
        auto& resume = entry(plan, stage, job);
        reruns =
            plan_job(stage, iteration, job, earlier_iteration_reruns, resume, plan.reuse) || reruns;
      }
      earlier_iteration_reruns = earlier_iteration_reruns || reruns;
    }
  }

  // The job's entry of the plan: one for all iterations of a repeated stage.
  JobResume& entry(ResumePlan& plan, const StageSpec& stage, const JobSpec& job) {
    const auto label = stage.name + "/" + job.id;
    auto found = std::ranges::find(plan.jobs, label, &JobResume::label);
    if (found != plan.jobs.end()) return *found;
    plan.jobs.push_back({label, std::uint64_t{0}, 0, {}});
    return plan.jobs.back();
  }

  // Why every instance of the job runs again ("" when each is judged on its own).
  std::string job_reason(const StageSpec& stage, int iteration, const JobSpec& job,
                         const JobRecord* record, const report::ItemsKey& items,
                         bool earlier_iteration_reruns) const {
    if (record == nullptr) {
      if (!earlier_.iterations.contains(stage.name))
        return "not run last time: its stage did not start";
      if (iteration > 1 && !earlier_.iterations.at(stage.name).contains(iteration)) {
        return "not run last time: that iteration did not start";
      }
      return "new job";
    }
    const auto type = job.type != nullptr ? job.type->qualified_name : std::string();
    if (record->type != type) return "job type changed: '" + record->type + "' -> '" + type + "'";
    const auto plugin = job.type != nullptr ? job.type->plugin : std::string();
    const auto before = earlier_.plugins.find(plugin);
    const auto now = plugins_.find(plugin);
    if (before != earlier_.plugins.end() && now != plugins_.end()) {
      if (before->second.first != now->second.first) {
        return "plugin '" + plugin + "' changed: version " + before->second.first + " -> " +
               now->second.first;
      }
      if (before->second.second != now->second.second) {
        return "plugin '" + plugin + "' changed: file hash";
      }
    }
    if (record->params != report::params_key(job)) {
      return params_change(record->values, report::param_texts(job));
    }
    if (job.foreach.kind == FanOut::Kind::from_outputs) {
      const auto& reference = job.foreach.reference;  // "stage.job.key"
      const auto source = reference.substr(0, reference.rfind('.'));
      if (rerunning_.contains(source)) {
        auto shown = source;
        shown[shown.find('.')] = '/';
        return "reads outputs of '" + shown + "', which runs again";
      }
      if (!record->passed_on && record->size != items.size) return "its items changed";
    } else if (record->items != items.hash) {
      return "its items changed";
    }
    if (earlier_iteration_reruns) return "an earlier iteration of '" + stage.name + "' runs again";
    return {};
  }

  // Plans one iteration of one job; true when an instance of it runs again.
  bool plan_job(const StageSpec& stage, int iteration, const JobSpec& job,
                bool earlier_iteration_reruns, JobResume& resume, Reuse& reuse) {
    const auto key = job_key(stage.name, iteration, job.id);
    const auto record_at = earlier_.jobs.find(key);
    const JobRecord* record = record_at == earlier_.jobs.end() ? nullptr : &record_at->second;
    const auto items = report::items_key(job, restored_);
    const auto output_name = stage.name + "." + job.id;
    const bool count_known =
        job.foreach.kind != FanOut::Kind::from_outputs ||
        !rerunning_.contains(job.foreach.reference.substr(0, job.foreach.reference.rfind('.')));
    if (resume.instances) {
      if (count_known) {
        *resume.instances += items.size;
      } else {
        resume.instances.reset();
      }
    }
    if (auto why = job_reason(stage, iteration, job, record, items, earlier_iteration_reruns);
        !why.empty()) {
      add_reason(resume, std::move(why), count_known ? items.size : 0);
      if (count_known && items.size == 0) return false;
      rerunning_.insert(output_name);
      return true;
    }
    const auto size = items.size;
    JobReuse reused;
    if (const auto done = earlier_.succeeded.find(key); done != earlier_.succeeded.end()) {
      for (const auto& range : done->second.ranges) {
        if (range.from < std::min(range.to, size)) {
          reused.ranges.push_back({range.from, std::min(range.to, size)});
        }
      }
      reused.outputs = done->second.published(size);
    }
    Reuse merged;  // sorts and joins the ranges
    merged.add(stage.name, iteration, job.id, reused);
    const auto* joined = merged.find(stage.name, iteration, job.id);
    const std::vector<IndexRange> ranges =
        joined != nullptr ? joined->ranges : std::vector<IndexRange>{};
    std::uint64_t reused_count = 0;
    for (const auto& range : ranges) reused_count += range.to - range.from;
    resume.reused += reused_count;
    // The others, gap by gap: those the journal saw end, and those it never saw.
    const auto ended_at = earlier_.ended.find(key);
    std::uint64_t reruns = 0;
    std::uint64_t next = 0;
    const auto judge_gap = [&](std::uint64_t from, std::uint64_t to) {
      if (from >= to) return;
      std::uint64_t seen = 0;
      if (ended_at != earlier_.ended.end()) {
        for (auto it = ended_at->second.lower_bound(from);
             it != ended_at->second.end() && it->first < to; ++it) {
          add_reason(resume, ended_reason(it->second), 1);
          ++seen;
        }
      }
      if (to - from > seen) add_reason(resume, not_run_reason(), to - from - seen);
      reruns += to - from;
    };
    for (const auto& range : ranges) {
      judge_gap(next, range.from);
      next = range.to;
    }
    judge_gap(next, size);
    if (reused_count > 0) {
      publish_restored(restored_, output_name, reused.outputs,
                       std::numeric_limits<std::uint64_t>::max());
      reuse.add(stage.name, iteration, job.id, std::move(reused));
    }
    if (reruns > 0) rerunning_.insert(output_name);
    return reruns > 0;
  }

  std::string not_run_reason() const {
    if (earlier_.interrupted) return "not run last time: the run was interrupted";
    if (!earlier_.finished) return "not run last time: lockstep was killed";
    return "not run last time";
  }

  const Pipeline& pipeline_;
  Earlier earlier_;
  std::map<std::string, std::pair<std::string, std::string>> plugins_;  // name: version, hash
  std::set<std::string> rerunning_;  // "stage.job" of jobs an instance of which runs again
  Outputs restored_;                 // the outputs of reused instances, for from_outputs
};

}  // namespace

ResumePlan plan_resume(const Pipeline& pipeline, const std::vector<PluginInfo>& plugins,
                       const JournalContents& earlier) {
  Earlier read;
  for (const auto& text : earlier.records) {
    const auto record = Json::parse(text, nullptr, false);
    if (record.is_object()) read_record(record, read);
  }
  if (!earlier.error.empty() || read.run.empty()) {
    ResumePlan plan = Planner(pipeline, plugins, Earlier{}).plan();
    plan.note = earlier.error.empty() ? "the journal holds no run" : earlier.error;
    return plan;
  }
  if (read.version < 2) {
    ResumePlan plan = Planner(pipeline, plugins, Earlier{}).plan();
    plan.earlier_run = read.run;
    plan.note = "its journal (version " + std::to_string(read.version) +
                ") does not record what resuming needs";
    return plan;
  }
  return Planner(pipeline, plugins, std::move(read)).plan();
}

std::string ResumePlan::explain() const {
  std::string text = "resume: ";
  text += earlier_run.empty() ? "no earlier run" : "from run " + earlier_run;
  if (!note.empty()) text += " (" + note + "): every instance runs";
  std::uint64_t total_reused = 0;
  for (const auto& job : jobs) total_reused += job.reused;
  text += "; " + grouped(total_reused) + " instance" + (total_reused == 1 ? "" : "s") + " reused\n";
  for (const auto& job : jobs) {
    std::uint64_t runs = 0;
    for (const auto& reason : job.reasons) runs += reason.count;
    text += "  " + job.label + ": ";
    if (job.instances) {
      text += grouped(job.reused) + " of " + grouped(*job.instances) + " reused";
    } else {
      text += grouped(job.reused) + " reused";
    }
    if (job.reasons.empty()) {
      text += "\n";
      continue;
    }
    text +=
        runs > 0 || job.instances ? "; " + grouped(runs) + " run again:\n" : "; all run again:\n";
    for (const auto& reason : job.reasons) {
      text += "    " + reason.why;
      text += reason.count > 0 ? " (" + grouped(reason.count) + ")\n" : "\n";
    }
  }
  return text;
}

}  // namespace lockstep::inline LOCKSTEP_ABI
