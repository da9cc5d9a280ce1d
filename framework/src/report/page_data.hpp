// PageData: everything the HTML page of a run shows, as plain values. HtmlReport fills one from
// the events of a run it observes; write_html_page() (html_page.hpp) turns one into the page. A
// reader of a run's recorded data (the journal of its run directory) can fill one as well and
// write the same page after the run: nothing in it refers to the live run.
//
//   PageData data = recorded();            // HtmlReport::Impl::snapshot(), or a journal's reader
//   write_html_page(data, out);
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lockstep/engine/duration_histogram.hpp"
#include "lockstep/engine/job_state.hpp"
#include "lockstep/pipeline/runner.hpp"
#include "report/timeline_row.hpp"

namespace lockstep::report {

struct PageData {
  struct Bulkhead {
    std::string name;
    int workers = 0;
    int queue = 0;
  };
  struct Job {
    std::uint32_t stage = 0;  // its stage's position in `stages`
    std::string id, type;
    std::uint32_t bulkhead = 0;  // its bulkhead's position in `bulkheads`
    bool fans_out = false;       // its instance ids carry an index: "stage/job[3]"
  };
  // One iteration of a stage, from its start to its barrier. Nanoseconds from the run's start.
  struct Span {
    int iteration = 1;
    std::int64_t start_ns = 0, end_ns = 0;
    StageStatus status = StageStatus::succeeded;
  };
  struct Stage {
    std::string name, kind;
    bool repeats = false;              // its instance ids carry the iteration: "stage@2/job"
    std::vector<std::uint32_t> needs;  // the stages whose barrier it waits for
    std::vector<Span> spans;           // the iterations that ran, in order
    DurationHistogram durations;       // of its instances that ran: the sum of their attempts
    std::chrono::nanoseconds longest{};
  };
  // The attempts one worker place ran: `slot` of `bulkhead`, or -1 for attempts that ran outside
  // any (the timeline's last row of the bulkhead).
  struct Row {
    std::uint32_t bulkhead = 0;
    int slot = 0;
    RowSnapshot attempts;               // columns of `column_width_ns`, and bars kept
    std::vector<std::uint32_t> params;  // per bar, its instance's position in `params`
    int rank = 0;                       // under a cluster, the rank whose worker place it is
  };
  static constexpr std::uint32_t kUnknown = 0xFFFFFFFF;  // in Row::params, Job params unknown
  struct Failure {
    std::string id;
    std::uint32_t job = 0;
    int iteration = 1;
    std::uint64_t index = 0;
    JobState state = JobState::failed;
    int attempts = 0;
    std::vector<std::string> messages;  // one per attempt that did not succeed
    std::string params;                 // a JSON object
    std::string log_tail;               // the last lines of its log, when a run dir has them
  };

  std::string pipeline_name, pipeline_file;
  std::chrono::system_clock::time_point started{};
  std::optional<RunResult> result;  // none while the run goes on
  std::vector<Bulkhead> bulkheads;
  std::vector<Stage> stages;
  std::vector<Job> jobs;  // stage by stage, each stage's in its order: what Bar::job counts

  // The timeline.
  std::int64_t column_width_ns = TimelineRow::kFirstWidth;
  std::vector<Row> rows;       // by bulkhead, then slot
  std::uint64_t attempts = 0;  // attempts that ended
  std::size_t max_bars = 0;
  // More attempts than max_bars: the bars are those of attempts that did not succeed, and the
  // columns tell the rest.
  bool aggregated = false;
  std::vector<std::string> messages;  // what Bar::message refers to
  std::vector<std::string> params;    // JSON objects, what Row::params refers to

  std::vector<Failure> failures;  // by stage, iteration, job and index; at most max_failures
};

}  // namespace lockstep::report
