#include "report/html_page.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "lockstep/version.hpp"
#include "report/html/page_text.hpp"
#include "report/report_fields.hpp"

namespace lockstep::report {

namespace {

using json = nlohmann::ordered_json;

constexpr int kPageSchema = 1;  // what page.js reads: raised when a key changes meaning

// JSON text safe inside a <script> element: '<' only ever appears inside strings, where \u003c
// means the same.
void append_json(std::string& out, const json& value) {
  for (const char c : value.dump(-1, ' ', false, json::error_handler_t::replace)) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
}

void append_key(std::string& out, std::string_view key) {
  out += '"';
  out += key;
  out += "\":";
}

// [a,b,c] of whole numbers: the timeline's columns are written by hand, not as a JSON tree (a
// page of 100,000 bars would be a tree of a million values).
template <class Value>
void append_numbers(std::string& out, std::size_t count, Value&& value) {
  out += '[';
  char buffer[24];
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) out += ',';
    const auto [end, error] =
        std::to_chars(buffer, buffer + sizeof buffer, static_cast<std::int64_t>(value(i)));
    out.append(buffer, end);
  }
  out += ']';
}

std::string utc_text(std::chrono::system_clock::time_point at) {
  const auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(at);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(at - seconds).count();
  const std::time_t time = std::chrono::system_clock::to_time_t(seconds);
  std::tm utc{};
  ::gmtime_r(&time, &utc);
  char text[40];
  const auto length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  char fraction[8];
  std::snprintf(fraction, sizeof fraction, ".%03dZ", static_cast<int>(millis));
  return std::string(text, length) + fraction;
}

std::int64_t ns(std::chrono::nanoseconds duration) { return duration.count(); }

json counts(const StateCounts& counts) { return counts_json(counts); }

json durations_json(const PageData::Stage& stage) {
  const auto& histogram = stage.durations;
  auto percentile = [&](double q) { return ns(std::min(stage.longest, histogram.percentile(q))); };
  json buckets = json::array();
  for (std::size_t b = 0; b < histogram.counts.size(); ++b) {
    if (histogram.counts[b] == 0) continue;
    buckets.push_back({ns(DurationHistogram::lower_bound(b)), ns(DurationHistogram::upper_bound(b)),
                       histogram.counts[b]});
  }
  return {{"count", histogram.count()},  {"p50_ns", percentile(0.5)},
          {"p95_ns", percentile(0.95)},  {"p99_ns", percentile(0.99)},
          {"max_ns", ns(stage.longest)}, {"buckets", std::move(buckets)}};
}

json bulkhead_usage(const BulkheadUsage& usage) {
  return {{"name", usage.name},
          {"workers", usage.workers},
          {"queue", usage.queue},
          {"admitted", usage.admitted},
          {"peak_running", usage.peak_running},
          {"peak_queued", usage.peak_queued},
          {"queue_wait_p50_ns", ns(usage.queue_wait_p50)},
          {"queue_wait_p95_ns", ns(usage.queue_wait_p95)},
          {"queue_wait_p99_ns", ns(usage.queue_wait_p99)},
          {"queue_wait_max_ns", ns(usage.queue_wait_max)},
          {"rejected", usage.rejected},
          {"utilisation", usage.utilisation}};
}

json stage_json(const PageData& data, std::size_t index) {
  const auto& stage = data.stages[index];
  const StageSummary* summary =
      data.result && index < data.result->stages.size() ? &data.result->stages[index] : nullptr;
  json spans = json::array();
  for (const auto& span : stage.spans) {
    spans.push_back(
        {span.iteration, span.start_ns, span.end_ns, std::string(to_string(span.status))});
  }
  json usage = json::array();
  if (summary != nullptr) {
    for (const auto& bulkhead : summary->bulkheads) usage.push_back(bulkhead_usage(bulkhead));
  }
  json jobs = json::array();
  for (std::size_t j = 0; j < data.jobs.size(); ++j) {
    if (data.jobs[j].stage == index) jobs.push_back(j);
  }
  return {{"name", stage.name},
          {"kind", stage.kind},
          {"repeats", stage.repeats},
          {"needs", stage.needs},
          {"jobs", std::move(jobs)},
          {"status", summary != nullptr ? std::string(to_string(summary->status)) : "running"},
          {"iterations", summary != nullptr ? summary->iterations : 0},
          {"wall_ns", summary != nullptr ? ns(summary->wall) : 0},
          {"counts", counts(summary != nullptr ? summary->counts : StateCounts{})},
          {"note", summary != nullptr ? summary->note : ""},
          {"warnings", summary != nullptr ? summary->warnings : std::vector<std::string>{}},
          {"spans", std::move(spans)},
          {"durations", durations_json(stage)},
          {"bulkheads", std::move(usage)}};
}

// How long the page's timeline is: the run's wall time, or while it goes on what ended so far.
std::int64_t timeline_ns(const PageData& data) {
  if (data.result) return ns(data.result->wall);
  std::int64_t end = 0;
  for (const auto& stage : data.stages) {
    for (const auto& span : stage.spans) end = std::max(end, span.end_ns);
  }
  for (const auto& row : data.rows) {
    for (const auto& bar : row.attempts.bars) end = std::max(end, bar.end_ns);
  }
  return end;
}

void append_row(std::string& out, const PageData::Row& row, std::size_t columns) {
  const auto& bars = row.attempts.bars;
  out += "{\"bulkhead\":" + std::to_string(row.bulkhead) + ",\"slot\":" + std::to_string(row.slot);
  if (row.rank != 0) out += ",\"rank\":" + std::to_string(row.rank);  // under a cluster
  out += ",\"attempts\":";
  append_numbers(out, columns, [&](std::size_t c) { return row.attempts.columns[c].attempts; });
  out += ",\"busy\":[";
  for (std::size_t state = 0; state < kAttemptStates; ++state) {
    if (state > 0) out += ',';
    const bool any = std::ranges::any_of(row.attempts.columns,
                                         [&](const Column& c) { return c.busy_ns[state] > 0; });
    // A state no attempt of the row ended in: [] rather than a column of zeros.
    append_numbers(out, any ? columns : 0,
                   [&](std::size_t c) { return row.attempts.columns[c].busy_ns[state]; });
  }
  out += "],\"bars\":{";
  auto field = [&](std::string_view name, auto value, bool first = false) {
    if (!first) out += ',';
    append_key(out, name);
    append_numbers(out, bars.size(), [&](std::size_t i) { return value(bars[i], i); });
  };
  field(
      "start", [](const Bar& bar, std::size_t) { return bar.start_ns; }, true);
  field("dur", [](const Bar& bar, std::size_t) {
    return std::max<std::int64_t>(0, bar.end_ns - bar.start_ns);
  });
  field("job", [](const Bar& bar, std::size_t) { return bar.job; });
  field("iteration", [](const Bar& bar, std::size_t) { return bar.iteration; });
  field("index", [](const Bar& bar, std::size_t) { return bar.index; });
  field("attempt", [](const Bar& bar, std::size_t) { return bar.attempt; });
  field("state", [](const Bar& bar, std::size_t) { return static_cast<int>(bar.state); });
  field("message", [](const Bar& bar, std::size_t) -> std::int64_t {
    return bar.message == Bar::kNoMessage ? -1 : bar.message;
  });
  field("params", [&](const Bar&, std::size_t i) -> std::int64_t {
    // As int64 on both sides: a uint32 beside -1 would make it 4294967295.
    return i < row.params.size() && row.params[i] != PageData::kUnknown
               ? static_cast<std::int64_t>(row.params[i])
               : std::int64_t{-1};
  });
  out += "}}";
}

void append_timeline(std::string& out, const PageData& data) {
  const auto length = timeline_ns(data);
  const auto width = std::max<std::int64_t>(data.column_width_ns, 1);
  const auto columns = static_cast<std::size_t>(std::clamp<std::int64_t>(
      (length + width - 1) / width, 1, static_cast<std::int64_t>(TimelineRow::kColumns)));
  append_json(out, {{"length_ns", length},
                    {"attempts", data.attempts},
                    {"max_bars", data.max_bars},
                    {"aggregated", data.aggregated},
                    {"column_ns", width},
                    {"columns", columns}});
  out.pop_back();  // the object goes on with the rows
  out += ",\"rows\":[";
  for (std::size_t r = 0; r < data.rows.size(); ++r) {
    if (r > 0) out += ",\n";
    append_row(out, data.rows[r], columns);
  }
  out += "]}";
}

json failure_json(const PageData& data, const PageData::Failure& failure) {
  return {{"id", failure.id},
          {"job", failure.job},
          {"stage", data.jobs[failure.job].stage},
          {"iteration", failure.iteration},
          {"index", failure.index},
          {"state", std::string(to_string(failure.state))},
          {"attempts", failure.attempts},
          {"messages", failure.messages},
          {"params", json::parse(failure.params, nullptr, false)},
          {"log_tail", failure.log_tail}};
}

std::string page_json(const PageData& data) {
  const auto& result = data.result;
  json states = json::array();
  for (auto state : kAllJobStates) states.push_back(std::string(to_string(state)));
  json bulkheads = json::array();
  for (const auto& b : data.bulkheads) {
    bulkheads.push_back({{"name", b.name}, {"workers", b.workers}, {"queue", b.queue}});
  }
  json stages = json::array();
  for (std::size_t s = 0; s < data.stages.size(); ++s) stages.push_back(stage_json(data, s));
  json jobs = json::array();
  for (const auto& job : data.jobs) {
    jobs.push_back({{"stage", job.stage},
                    {"id", job.id},
                    {"type", job.type},
                    {"bulkhead", job.bulkhead},
                    {"fans_out", job.fans_out}});
  }
  json failures = json::array();
  for (const auto& failure : data.failures) failures.push_back(failure_json(data, failure));
  std::size_t unsuccessful = 0;
  if (result) unsuccessful = result->totals.sum() - result->totals[JobState::succeeded];
  const auto not_listed = unsuccessful - std::min(unsuccessful, data.failures.size());

  json head = {
      {"schema", kPageSchema},
      {"lockstep", kVersionString},
      {"pipeline", {{"name", data.pipeline_name}, {"file", data.pipeline_file}}},
      {"started", utc_text(data.started)},
      {"status", result ? run_status(*result) : "running"},
      {"exit_code", result ? json(result->exit_code()) : json()},
      {"wall_ns", result ? ns(result->wall) : 0},
      {"instances", result ? result->totals.sum() : 0},
      {"totals", counts(result ? result->totals : StateCounts{})},
      {"warnings", result ? result->warnings : std::vector<std::string>{}},
      {"states", std::move(states)},
      {"bulkheads", std::move(bulkheads)},
      {"stages", std::move(stages)},
      {"jobs", std::move(jobs)},
      {"messages", data.messages},
      {"params", data.params},
      {"failures", std::move(failures)},
      {"failures_not_listed", not_listed},
  };
  std::string out;
  append_json(out, head);
  out.pop_back();  // the object goes on with the timeline
  out += ",\n\"timeline\":";
  append_timeline(out, data);
  out += "}";
  return out;
}

std::string html_text(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Writes the template with each marker replaced, in the order they appear in it.
void fill_template(std::ostream& out,
                   std::initializer_list<std::pair<std::string_view, std::string_view>> fills) {
  std::string_view rest = page_text::html;
  for (const auto& [marker, text] : fills) {
    const auto at = rest.find(marker);
    if (at == std::string_view::npos) {
      throw std::logic_error("report/html/page.html lacks " + std::string(marker));
    }
    out << rest.substr(0, at) << text;
    rest.remove_prefix(at + marker.size());
  }
  out << rest;
}

}  // namespace

void write_html_page(const PageData& data, std::ostream& out) {
  const auto title = html_text("lockstep: " + data.pipeline_name + " (" +
                               (data.result ? run_status(*data.result) : "running") + ")");
  const auto json_text = page_json(data);
  fill_template(out, {{"@TITLE@", title},
                      {"/*@STYLE@*/", page_text::css},
                      {"@DATA@", json_text},
                      {"/*@CHARTS@*/", page_text::charts_js},
                      {"/*@TIMELINE@*/", page_text::timeline_js},
                      {"/*@GRAPH@*/", page_text::graph_js},
                      {"/*@PAGE@*/", page_text::page_js}});
}

}  // namespace lockstep::report
