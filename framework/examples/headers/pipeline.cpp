// pipeline — the usage examples of the pipeline headers (<lockstep/pipeline.hpp> and
// <lockstep/pipeline/*.hpp>), each quoted verbatim from its header's leading comment (ctest
// example.header_usage_compiled checks that) in a function that runs it and checks that it did
// what the comment says. Runs in its build directory, where it writes pipe.yaml (core job types
// only) and flaky.yaml (a job type of this program whose instances fail from an index on), and
// exits non-zero when any example's result is wrong.
// The quoted lines sit between clang-format off and on: laid out as the header shows them.
#include <lockstep/pipeline.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// fetch/get publishes a path per instance; scan/hash logs a line per item.
constexpr const char* kPipe = R"(version: 1
name: pipe
vars:
  input: data
stages:
  - name: fetch
    jobs:
      - id: get
        type: core.output
        params: { values: { path: "${vars.input}/${index}.csv" } }
        foreach: { range: { from: 0, to: 1000 } }
  - name: scan
    jobs:
      - id: hash
        type: core.echo
        params: { message: "hash ${item}" }
        foreach: { items: [a, b, c] }
)";

// The same fetch/get, of a job type whose instances fail from index `fail_from` on: an earlier
// run that lost 20 instances, for the journal and --resume.
constexpr const char* kFlaky = R"(version: 1
name: flaky
stages:
  - name: fetch
    jobs:
      - id: get
        type: app.flaky
        params: { index: "${index}" }
        foreach: { range: { from: 0, to: 1000 } }
)";

// A pipeline that runs on a cluster: nothing in it is read across ranks.
constexpr const char* kSpread = R"(version: 1
name: spread
stages:
  - name: all
    jobs:
      - { id: noop, type: core.noop, foreach: { range: { from: 0, to: 1000 } } }
)";

std::uint64_t fail_from = std::numeric_limits<std::uint64_t>::max();

class Flaky final : public lockstep::Job {
 public:
  static lockstep::JobType type() {
    return {"flaky",
            "Publishes a path; fails from index `fail_from` on",
            {lockstep::ParamSpec::string("index").required()}};
  }
  explicit Flaky(const lockstep::Params& p) : index_(std::stoull(p.get<std::string>("index"))) {}
  void run(lockstep::JobContext& ctx) override {
    if (index_ >= fail_from) throw std::runtime_error("lost");
    ctx.output("path", std::to_string(index_) + ".csv");
  }

 private:
  std::uint64_t index_;
};

// What the examples call.
int fail(const std::string& why) {
  std::cerr << "error: " << why << "\n";
  return lockstep::kExitError;
}
void warn(const std::string& what) { std::cerr << "warning: " << what << "\n"; }

void write_file(const fs::path& path, const char* text) { std::ofstream(path) << text; }

int pipeline_umbrella_hpp() {
  // clang-format off
  lockstep::Registry registry;
  lockstep::PluginLoader loader(registry, lockstep::PluginLoader::search_dirs({}));
  lockstep::Diagnostics diagnostics;
  auto pipeline = lockstep::load_pipeline("pipe.yaml", {}, loader, diagnostics);
  if (!pipeline) { std::cerr << diagnostics.to_string(); return lockstep::kExitError; }
  lockstep::Runner runner(*pipeline);
  return runner.run().exit_code();
  // clang-format on
}

int pipeline_hpp() {
  // clang-format off
  lockstep::Registry registry;
  lockstep::PluginLoader loader(registry, lockstep::PluginLoader::search_dirs({}));
  lockstep::Diagnostics diags;
  auto pipeline = lockstep::load_pipeline("pipe.yaml", {}, loader, diags);
  if (!pipeline) {
    std::cerr << diags.to_string();
    return lockstep::kExitError;
  }
  for (const auto& stage : pipeline->stages)
    for (const auto& job : stage.jobs)
      std::cout << stage.name << "/" << job.id << " on " << job.bulkhead << "\n";
  // clang-format on
  return pipeline->stages.size() == 2 && pipeline->stages[1].jobs[0].id == "hash"
             ? lockstep::kExitOk
             : lockstep::kExitFailures;
}

int pipeline_loader_hpp() {
  // clang-format off
  lockstep::Registry registry;
  lockstep::PluginLoader loader(registry, lockstep::PluginLoader::search_dirs({}));
  lockstep::Diagnostics diags;
  lockstep::PipelineOptions options{.set_vars = {{"input", "data"}}};
  auto pipeline = lockstep::load_pipeline("pipe.yaml", options, loader, diags);
  for (const auto& d : diags.all()) std::cerr << lockstep::format(d) << '\n';
  if (!pipeline) return lockstep::kExitError;   // pipe.yaml:12:5: error: unknown key 'worker'
  // clang-format on
  return diags.all().empty() ? lockstep::kExitOk : lockstep::kExitFailures;
}

int exit_codes_hpp(lockstep::PluginLoader& loader) {
  // clang-format off
  for (const auto& code : lockstep::kExitCodes)  // what `lockstep --help` lists
    std::printf("%3d  %s\n", code.code, code.meaning);
  lockstep::Diagnostics diags;
  auto pipeline = lockstep::load_pipeline("pipe.yaml", {}, loader, diags);
  if (diags.has_errors()) return lockstep::kExitError;          // 2: nothing ran
  auto result = lockstep::Runner(*pipeline).run();
  return result.exit_code();  // kExitOk (0), kExitFailures (1) or kExitInterrupted (130)
  // clang-format on
}

int runner_hpp(lockstep::PluginLoader& loader, lockstep::Diagnostics& diags) {
  // clang-format off
  auto pipeline = lockstep::load_pipeline("pipe.yaml", {}, loader, diags);
  lockstep::Runner runner(*pipeline, {.threads = 8});
  lockstep::RunResult result = runner.run();
  for (const auto& stage : result.stages)
    std::cout << stage.name << ": " << stage.counts[lockstep::JobState::failed] << " failed\n";
  return result.exit_code();  // 0, or 1 when a failure was not allowed
  // clang-format on
}

// The earlier run: instances 980 to 999 fail.
bool journal_hpp(const lockstep::Pipeline& pipeline, const lockstep::Registry& registry,
                 const fs::path& run_dir) {
  fail_from = 980;
  lockstep::Runner runner(pipeline);
  // clang-format off
  lockstep::RunJournal journal(run_dir / "journal",
                               {.pipeline = &pipeline, .plugins = registry.plugins(),
                                .run_id = "pipe-20261127T041224-42"},
                               &runner.outputs());
  if (!journal.error().empty()) std::cerr << journal.error() << "\n";   // the run goes on
  runner.observe(journal);
  runner.run();   // records are appended in batches, fsync'd at most every 100 ms, at every
                  // stage end and at the end of the run

  auto read = lockstep::read_journal(run_dir / "journal");   // each record's JSON text
  if (read.torn) warn("its last record was cut: ignored");
  // clang-format on
  return journal.error().empty() && !read.torn && read.records.size() >= 3 &&
         read.records.front().find("pipe-20261127T041224-42") != std::string::npos;
}

int recorded_run_hpp(const lockstep::Pipeline& pipeline, const fs::path& run_dir) {
  // clang-format off
  lockstep::RecordedRun run(run_dir / "journal", {.pipeline = &pipeline});  // pipeline: optional
  if (!run.error().empty()) return fail(run.error());  // no journal, or no run in it
  if (run.torn()) warn("its last record was cut");     // the report says so too
  std::string error;
  if (!run.write_report("report.json", error)) fail(error);  // the schema of --report
  run.write_trace("trace.json", error);
  run.write_page("run.html", error);
  // clang-format on
  return run.finished() && !run.torn() && fs::file_size("report.json") > 0 &&
                 fs::file_size("trace.json") > 0 && fs::file_size("run.html") > 0
             ? lockstep::kExitOk
             : lockstep::kExitFailures;
}

// Takes over the 980 instances that succeeded; the 20 others run again (and succeed this time).
bool resume_hpp(const lockstep::Pipeline& pipeline, const lockstep::Registry& registry,
                const fs::path& run_dir) {
  fail_from = std::numeric_limits<std::uint64_t>::max();
  // clang-format off
  auto earlier = lockstep::read_journal(run_dir / "journal");
  auto plan = lockstep::plan_resume(pipeline, registry.plugins(), earlier);
  std::cerr << plan.explain();   // "fetch/get: 980 of 1,000 reused; 20 run again:" ...
  lockstep::Runner runner(pipeline, {.reuse = &plan.reuse});
  auto result = runner.run();    // result.reused == 980
  // clang-format on
  return result.reused == 980 && result.exit_code() == lockstep::kExitOk &&
         plan.explain().find("fetch/get: 980 of 1,000 reused; 20 run again:") != std::string::npos;
}

bool reuse_hpp(const lockstep::Pipeline& pipeline) {
  // clang-format off
  lockstep::Reuse reuse;
  reuse.add("fetch", 1, "get", {.ranges = {{0, 980}},
                                .outputs = {{.index = 3, .key = "path", .value = "a.csv"}}});
  lockstep::Runner runner(pipeline, {.reuse = &reuse});
  auto result = runner.run();   // fetch/get[0..979] reused: result.reused == 980
  // clang-format on
  // The reused publish only what was restored (index 3); the 20 that ran publish their paths.
  const auto paths = runner.outputs().published("fetch.get.path", 0, 1000);
  std::cerr << "reuse: " << result.reused << " reused, " << paths.size() << " paths\n";
  return result.reused == 980 && paths.size() == 21 && paths.front().first == 3 &&
         paths.front().second == "a.csv" && paths.back().second == "data/999.csv";
}

bool html_report_hpp(const lockstep::Pipeline& pipeline) {
  // clang-format off
  lockstep::HtmlReport page({.run_dir = "runs/nightly"});  // where failures' log tails are
  lockstep::Runner runner(pipeline);
  runner.observe(page);
  runner.run();                                   // also when it fails or is interrupted
  std::string error;
  if (!page.write_file("run.html", error)) std::cerr << error << "\n";
  // clang-format on
  return error.empty() && fs::file_size("run.html") > 1000;
}

bool report_hpp(const lockstep::Pipeline& pipeline) {
  // clang-format off
  lockstep::JsonReport report;
  lockstep::Runner runner(pipeline);
  runner.observe(report);
  runner.run();                                   // also when it fails or is interrupted
  std::string error;
  if (!report.write_file("report.json", error)) std::cerr << error << "\n";
  // clang-format on
  std::ifstream in("report.json");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return error.empty() && text.find("\"fetch\"") != std::string::npos;
}

bool trace_hpp(const lockstep::Pipeline& pipeline) {
  // clang-format off
  lockstep::ChromeTrace trace;
  lockstep::Runner runner(pipeline, {.observers = {&trace}});
  runner.run();
  std::ofstream out("run.trace.json");
  trace.write(out);
  // clang-format on
  out.close();
  std::ifstream in("run.trace.json");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The last instance: a slice of its own ("fetch/get[999]") or the end of a run of them
  // ("fetch/get[0] .. [999]").
  return text.find("fetch/get[") != std::string::npos && text.find("[999]") != std::string::npos;
}

bool progress_hpp(const lockstep::Pipeline& pipeline) {
  // clang-format off
  lockstep::Runner runner(pipeline);
  lockstep::ProgressPrinter progress(runner, stderr, {.mode = lockstep::ProgressMode::terminal});
  runner.observe(progress);
  runner.run();
  // build [########------------]  40%  4.0k/10k  2 running  16 queued  1.2k/s  ETA 5s
  // clang-format on
  // The run went through with the printer attached, and the printer's thread has stopped (a
  // second stop() is a no-op, and the run no longer reports progress).
  progress.stop();
  return runner.outputs().values("fetch.get.path").size() == 1000 && !runner.progress();
}

int run_dir_hpp(const lockstep::Pipeline& pipeline) {
  // clang-format off
  const auto dir = lockstep::default_run_dir(pipeline.name);  // .lockstep/runs/NAME-TIME-PID
  if (auto why = lockstep::RunDirLog::check_writable(dir); !why.empty()) return fail(why);
  lockstep::RunDirLog log(dir, {.forward = &lockstep::stderr_log_sink(),
                                .forward_from = lockstep::Logger::Level::warning});
  lockstep::Runner runner(pipeline, {.log = &log, .observers = {&log}});
  runner.run();
  if (log.created()) std::cerr << "logs: " << log.dir().string() << "\n";
  // clang-format on
  // scan/hash logs a line per instance: three instance files, and the job's file.
  const bool ok = log.created() && fs::exists(dir / "jobs/scan/hash.log") &&
                  fs::exists(dir / "jobs/scan/hash.2.log");
  fs::remove_all(dir);
  return ok ? lockstep::kExitOk : lockstep::kExitFailures;
}

bool instance_id_hpp() {
  // clang-format off
  lockstep::InstanceId id{.stage = "scan", .iteration = 2, .job = "hash", .index = 3};
  std::string text = lockstep::to_string(id);         // "scan@2/hash[3]"
  auto back = lockstep::parse_instance_id(text);      // == id; std::nullopt for other text
  std::string stage = lockstep::stage_label("scan", 2);  // "scan@2": logs, progress, trace
  // clang-format on
  return text == "scan@2/hash[3]" && back == id && stage == "scan@2" &&
         !lockstep::parse_instance_id("scan/").has_value();
}

bool output_text_hpp() {
  const std::string token = "s3cr3t-t0ken";
  const std::string text = "token=s3cr3t-t0ken \x1b[2J";
  // clang-format off
  lockstep::register_secret(token);            // the loader does it for a pipeline's `secrets:`
  std::string line = lockstep::mask_secrets(text);        // each copy of token is now ***
  std::fputs(lockstep::for_terminal(text).c_str(), stderr);  // masked, and \x1b[2J, not ESC[2J
  // clang-format on
  return line == "token=*** \x1b[2J" && lockstep::for_terminal(text) == "token=*** \\x1b[2J";
}

bool job_instance_hpp() {
  // clang-format off
  lockstep::Registry registry;
  lockstep::PluginLoader loader(registry, lockstep::PluginLoader::search_dirs({}));
  lockstep::Diagnostics diags;
  loader.load_core(diags);
  const auto* sleep = registry.lookup_job_type("core.sleep").job_type;
  std::vector<lockstep::RawEntry> given{{"duration", lockstep::RawValue::scalar("50ms")}};
  auto params =
      lockstep::validate_params(sleep->declaration.params, given, {}, "job 'nap': ", diags);

  lockstep::Outputs outputs;
  lockstep::Engine engine;
  auto& pool = engine.add_bulkhead({.name = "default", .workers = 2});
  lockstep::Batch batch;
  pool.dispatch(batch, lockstep::make_job_task({.id = "nap", .type = sleep, .params = params},
                                               outputs, lockstep::stderr_log_sink()));
  batch.wait();
  // clang-format on
  return !diags.has_errors() && pool.stats().ended[lockstep::JobState::succeeded] == 1;
}

}  // namespace

// A cluster of one rank, as a program without MPI (or a test) may make one: what the MPI
// backend does across processes, in this one.
class OneRank final : public lockstep::Cluster {
 public:
  int rank() const noexcept override { return 0; }
  int size() const noexcept override { return 1; }
  std::vector<std::string> gather(const std::string& mine) override { return {mine}; }
  std::string broadcast(const std::string& text) override { return text; }
  void sum(std::span<std::uint64_t> /*values*/) override {}
  void barrier(std::uint64_t /*ranges_done*/) override {}
  Chunk claim(std::uint64_t range, std::uint64_t start, std::uint64_t end, int workers) override {
    std::lock_guard lock(mutex_);
    auto& next = next_.try_emplace(range, start).first->second;
    const Chunk chunk{next, std::min(end, next + lockstep::guided_chunk_size(end - next, 1, workers))};
    next = chunk.to;
    return chunk;
  }
  // Texts and stops of the one rank go straight to its own receiver and stopper.
  void post(Channel channel, const std::string& text) override {
    std::lock_guard lock(mutex_);
    if (auto& receiver = receivers_[static_cast<std::size_t>(channel)]) receiver(0, text);
  }
  void receive(Channel channel, Receiver receiver) override {
    std::lock_guard lock(mutex_);
    receivers_[static_cast<std::size_t>(channel)] = std::move(receiver);
  }
  void stop(std::uint64_t key) override {
    std::lock_guard lock(mutex_);
    if (stopper_) stopper_(key);
  }
  void on_stop(Stopper stopper) override {
    std::lock_guard lock(mutex_);
    stopper_ = std::move(stopper);
  }
  // No other rank to send to: every instance of a stage runs on rank 0.
  void send(int /*to*/, const std::string& /*text*/) override {}
  void on_message(Messenger /*messenger*/) override {}

 private:
  std::mutex mutex_;
  std::map<std::uint64_t, std::uint64_t> next_;
  std::array<Receiver, kChannels> receivers_{};
  Stopper stopper_;
};

int cluster_hpp(const lockstep::Pipeline& pipeline) {
  OneRank backend;
  const std::string my_problem;  // this rank loaded everything
  // clang-format off
  lockstep::Cluster& cluster = backend;  // e.g. the MPI backend's, from liblockstep-mpi
  if (!lockstep::unsupported_on_cluster(pipeline).empty()) return lockstep::kExitError;
  if (!lockstep::agree(cluster, my_problem).empty()) return lockstep::kExitError;  // any rank's
  lockstep::Runner runner(pipeline, {.cluster = &cluster});
  auto result = runner.run();  // every rank: the same counts, totals over all ranks
  // clang-format on
  if (result.totals[lockstep::JobState::succeeded] != 1000) return lockstep::kExitFailures;
  return result.exit_code();
}

int main() {
  write_file("pipe.yaml", kPipe);
  write_file("flaky.yaml", kFlaky);
  int wrong = 0;
  auto check = [&wrong](const char* header, bool ok) {
    std::printf("lockstep/%s: %s\n", header, ok ? "ok" : "WRONG RESULT");
    wrong += ok ? 0 : 1;
  };
  check("pipeline.hpp", pipeline_umbrella_hpp() == lockstep::kExitOk);
  check("pipeline/pipeline.hpp", pipeline_hpp() == lockstep::kExitOk);
  check("pipeline/pipeline_loader.hpp", pipeline_loader_hpp() == lockstep::kExitOk);
  {
    lockstep::Registry registry;
    lockstep::PluginLoader loader(registry, lockstep::PluginLoader::search_dirs({}));
    check("pipeline/exit_codes.hpp", exit_codes_hpp(loader) == lockstep::kExitOk);
    lockstep::Diagnostics diags;
    check("pipeline/runner.hpp", runner_hpp(loader, diags) == lockstep::kExitOk);
  }

  lockstep::Registry registry;
  registry.add_job<Flaky>();  // app.flaky
  lockstep::PluginLoader loader(registry, lockstep::PluginLoader::search_dirs({}));
  lockstep::Diagnostics diags;
  auto flaky = lockstep::load_pipeline("flaky.yaml", {}, loader, diags);
  auto pipe = lockstep::load_pipeline("pipe.yaml", {}, loader, diags);
  if (!flaky || !pipe) {
    std::cerr << diags.to_string();
    return 1;
  }
  const fs::path run_dir = "runs/flaky";
  fs::remove_all(run_dir);
  fs::create_directories(run_dir);
  check("pipeline/journal.hpp", journal_hpp(*flaky, registry, run_dir));
  check("pipeline/recorded_run.hpp", recorded_run_hpp(*flaky, run_dir) == lockstep::kExitOk);
  check("pipeline/resume.hpp", resume_hpp(*flaky, registry, run_dir));
  check("pipeline/reuse.hpp", reuse_hpp(*pipe));
  check("pipeline/html_report.hpp", html_report_hpp(*pipe));
  check("pipeline/report.hpp", report_hpp(*pipe));
  check("pipeline/trace.hpp", trace_hpp(*pipe));
  check("pipeline/progress.hpp", progress_hpp(*pipe));
  check("pipeline/run_dir.hpp", run_dir_hpp(*pipe) == lockstep::kExitOk);
  check("pipeline/instance_id.hpp", instance_id_hpp());
  check("pipeline/output_text.hpp", output_text_hpp());
  check("pipeline/job_instance.hpp", job_instance_hpp());
  write_file("spread.yaml", kSpread);
  auto spread = lockstep::load_pipeline("spread.yaml", {}, loader, diags);
  check("pipeline/cluster.hpp", spread && cluster_hpp(*spread) == lockstep::kExitOk);
  return wrong == 0 ? 0 : 1;
}
