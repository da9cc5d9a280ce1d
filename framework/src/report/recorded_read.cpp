// read_recorded(): a journal's records (docs/resume.md) into RecordedData. Records it does not
// know are skipped, so that a journal of a later version still reads as far as it can.
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "lockstep/pipeline/instance_id.hpp"
#include "lockstep/pipeline/journal.hpp"
#include "report/recorded_model.hpp"

namespace lockstep::report {

namespace {

using Json = nlohmann::json;

std::optional<JobState> job_state_named(std::string_view name) {
  for (const auto state : kAllJobStates) {
    if (to_string(state) == name) return state;
  }
  return std::nullopt;
}

StageStatus stage_status_named(std::string_view name) {
  for (const auto status : {StageStatus::succeeded, StageStatus::failed, StageStatus::stopped,
                            StageStatus::interrupted, StageStatus::skipped}) {
    if (to_string(status) == name) return status;
  }
  return StageStatus::interrupted;
}

RecordedTime time_of(std::int64_t start, std::int64_t duration, int slot) {
  return {std::max<std::int64_t>(0, start), std::max<std::int64_t>(0, duration), slot};
}

class Reader {
 public:
  explicit Reader(RecordedData& data) : data_(data) {}

  void add_pipeline(const Pipeline& pipeline) {
    for (const auto& bulkhead : pipeline.bulkheads) {
      data_.bulkheads.push_back(
          {bulkhead.name, bulkhead.workers, bulkhead.queue.value_or(2 * bulkhead.workers)});
    }
    for (const auto& stage : pipeline.stages) {
      const auto s = stage_named(stage.name);
      data_.stages[s].kind = stage.kind;
      data_.stages[s].repeats = stage.repeat.has_value();
      for (const auto& job : stage.jobs) {
        auto& recorded = data_.jobs[job_named(s, job.id)];
        recorded.type = job.type != nullptr ? job.type->declaration.name : std::string();
        recorded.bulkhead = job.bulkhead;
        recorded.fans_out = job.foreach.kind != FanOut::Kind::none;
        if (!stage.repeat) recorded.instances = instance_count(job.foreach);
      }
    }
  }

  void add(const Json& record) {
    const auto kind = record.value("t", "");
    if (kind == "stage") {
      const auto s = stage_named(record.value("stage", ""));
      iteration(s, record.value("iteration", 1));
      for (const auto& job : record.value("jobs", Json::array())) {
        auto& recorded = data_.jobs[job_named(s, job.value("job", ""))];
        if (recorded.type.empty()) recorded.type = job.value("type", "");
      }
    } else if (kind == "ok") {
      add_range(record);
    } else if (kind == "end") {
      add_end(record);
    } else if (kind == "stage_end") {
      auto& it = iteration(stage_named(record.value("stage", "")), record.value("iteration", 1));
      it.ended = true;
      it.status = stage_status_named(record.value("status", ""));
      StateCounts counts;
      for (const auto state : kAllJobStates) {
        counts[state] = record.value("counts", Json::object()).value(std::string(to_string(state)),
                                                                    std::size_t{0});
      }
      it.counts = counts;
      it.reused = record.value("reused", std::uint64_t{0});
    } else if (kind == "run_end") {
      data_.finished = true;
      data_.exit_code = record.value("exit_code", 0);
      data_.interrupted = record.value("interrupted", false);
      data_.wall_ms = record.value("wall_ms", std::int64_t{0});
      data_.reused = record.value("reused", std::uint64_t{0});
      for (const auto state : kAllJobStates) {
        data_.totals[state] = record.value("totals", Json::object())
                                  .value(std::string(to_string(state)), std::size_t{0});
      }
    }
  }

  void finish() {
    count_interrupted();
    std::int64_t last_us = 0;
    for (const auto& stage : data_.stages) {
      for (const auto& it : stage.iterations) last_us = std::max(last_us, it.last_us);
    }
    if (!data_.finished) {
      data_.totals = {};
      for (const auto& stage : data_.stages) {
        for (const auto& it : stage.iterations) {
          for (const auto state : kAllJobStates) data_.totals[state] += it.counts[state];
          data_.totals_interrupted += it.interrupted;
        }
      }
      data_.wall_ms = last_us / 1000;
    }
    if (data_.bulkheads.empty()) {
      // Without the pipeline, which bulkhead a job used is not known: one with every slot seen.
      int slots = 0;
      for (const auto& range : data_.ranges) slots = std::max(slots, range.time.slot + 1);
      for (const auto& end : data_.ends) {
        for (const auto& time : end.times) slots = std::max(slots, time.slot + 1);
      }
      data_.bulkheads.push_back({"unknown", std::max(slots, 1), 0});
    }
    std::ranges::sort(data_.ends, [&](const RecordedEnd& a, const RecordedEnd& b) {
      return std::tie(data_.jobs[a.job].stage, a.iteration, a.job, a.index) <
             std::tie(data_.jobs[b.job].stage, b.iteration, b.job, b.index);
    });
  }

 private:
  std::uint32_t stage_named(const std::string& name) {
    for (std::uint32_t s = 0; s < data_.stages.size(); ++s) {
      if (data_.stages[s].name == name) return s;
    }
    data_.stages.push_back({name, "parallel", false, {}, {}});
    return static_cast<std::uint32_t>(data_.stages.size() - 1);
  }

  std::uint32_t job_named(std::uint32_t stage, const std::string& id) {
    for (const auto j : data_.stages[stage].jobs) {
      if (data_.jobs[j].id == id) return j;
    }
    const auto j = static_cast<std::uint32_t>(data_.jobs.size());
    data_.jobs.push_back({stage, id, "", "", false, std::nullopt});
    data_.stages[stage].jobs.push_back(j);
    return j;
  }

  RecordedIteration& iteration(std::uint32_t stage, int number) {
    auto& iterations = data_.stages[stage].iterations;
    for (auto& it : iterations) {
      if (it.iteration == number) return it;
    }
    if (number > 1) data_.stages[stage].repeats = true;
    iterations.push_back({});
    iterations.back().iteration = number;
    return iterations.back();
  }

  static void widen(RecordedIteration& it, const RecordedTime& time) {
    it.first_us = it.first_us < 0 ? time.start_us : std::min(it.first_us, time.start_us);
    it.last_us = std::max(it.last_us, time.start_us + time.duration_us);
  }

  void add_range(const Json& record) {
    const auto s = stage_named(record.value("stage", ""));
    const auto j = job_named(s, record.value("job", ""));
    const int number = record.value("iteration", 1);
    RecordedRange range{j, number, record.value("from", std::uint64_t{0}),
                        record.value("to", std::uint64_t{0}), {}};
    if (range.to < range.from) return;
    const auto start = record.value("start", std::int64_t{-1});
    const bool timed = start >= 0;  // journal version 1 has no times
    range.time = time_of(start, record.value("end", start) - start, record.value("slot", 0));
    auto& it = iteration(s, number);
    if (!it.ended) it.counts[JobState::succeeded] += range.to - range.from;
    if (timed) widen(it, range.time);
    note_index(j, number, range.to - 1, range.to - range.from);
    for (const auto& retried : record.value("retried", Json::array())) {
      RecordedRetry retry{j,
                          number,
                          retried.value("index", std::uint64_t{0}),
                          retried.value("attempt", 1),
                          time_of(retried.value("start", std::int64_t{0}),
                                  retried.value("duration", std::int64_t{0}),
                                  retried.value("slot", 0)),
                          job_state_named(retried.value("state", "")).value_or(JobState::failed),
                          retried.value("message", "")};
      widen(it, retry.time);
      data_.retries.push_back(std::move(retry));
    }
    if (timed) data_.ranges.push_back(range);
  }

  void add_end(const Json& record) {
    const auto text = record.value("id", "");
    const auto id = parse_instance_id(text);
    if (!id) return;
    const auto s = stage_named(std::string(id->stage));
    const auto j = job_named(s, std::string(id->job));
    RecordedEnd end{j,
                    std::max(id->iteration, 1),
                    id->index.value_or(0),
                    text,
                    job_state_named(record.value("state", "")).value_or(JobState::failed),
                    record.value("attempts", 0),
                    {},
                    {}};
    if (id->index) data_.jobs[j].fans_out = true;
    if (record.contains("messages")) {
      end.messages = record.value("messages", std::vector<std::string>{});
    } else if (record.contains("message")) {
      end.messages.push_back(record.value("message", ""));
    }
    for (const auto& time : record.value("times", Json::array())) {
      if (time.is_array() && time.size() == 3) {
        end.times.push_back(time_of(time[0].get<std::int64_t>(), time[1].get<std::int64_t>(),
                                    time[2].get<int>()));
      }
    }
    auto& it = iteration(s, end.iteration);
    if (!it.ended) ++it.counts[end.state];
    for (const auto& time : end.times) widen(it, time);
    note_index(j, end.iteration, end.index, 1);
    data_.ends.push_back(std::move(end));
  }

  // What was recorded of each job in each iteration: how many ended, the highest index.
  void note_index(std::uint32_t job, int number, std::uint64_t index, std::uint64_t ended) {
    auto& seen = seen_[{job, number}];
    seen.first += ended;
    seen.second = std::max(seen.second, index + 1);
  }

  // Of each iteration without an end: its instances that had not ended. All of a job's, when
  // the pipeline says how many it has; else (at least) those below the highest that ended.
  void count_interrupted() {
    for (auto& stage : data_.stages) {
      for (auto& it : stage.iterations) {
        if (it.ended) continue;
        for (const auto j : stage.jobs) {
          const auto seen = seen_.find({j, it.iteration});
          const std::uint64_t ended = seen != seen_.end() ? seen->second.first : 0;
          std::uint64_t all = seen != seen_.end() ? seen->second.second : 0;
          if (data_.jobs[j].instances) all = std::max(all, *data_.jobs[j].instances);
          it.interrupted += all > ended ? all - ended : 0;
        }
      }
    }
  }

  RecordedData& data_;
  std::map<std::pair<std::uint32_t, int>, std::pair<std::uint64_t, std::uint64_t>> seen_;
};

}  // namespace

std::optional<RecordedData> read_recorded(const std::filesystem::path& journal,
                                          const Pipeline* pipeline, std::string& error) {
  const auto contents = read_journal(journal);
  if (!contents.error.empty()) {
    error = contents.error;
    return std::nullopt;
  }
  RecordedData data;
  data.journal = journal;
  data.torn = contents.torn;
  Reader reader(data);
  bool run = false;
  for (const auto& text : contents.records) {
    const auto record = Json::parse(text, nullptr, false);
    if (record.is_discarded() || !record.is_object()) continue;
    if (!run) {
      if (record.value("t", "") != "run") break;
      run = true;
      data.run_id = record.value("run", "");
      data.pipeline_name = record.value("name", "");
      data.pipeline_file = record.value("pipeline", "");
      data.started_ms = record.value("started", std::int64_t{0});
      data.version = record.value("version", 1);
      if (pipeline != nullptr) reader.add_pipeline(*pipeline);
      continue;
    }
    reader.add(record);
  }
  if (!run) {
    error = journal.string() + ": holds no run" +
            (contents.torn ? " (its first record was cut or is corrupt)" : "");
    return std::nullopt;
  }
  reader.finish();
  return data;
}

}  // namespace lockstep::report
