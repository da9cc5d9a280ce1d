// RunDirLog: a file per job whose name no other id can take, every line once in it and in
// run.log however many threads write, a file of its own for an instance among the first of its
// job or one that failed, at most max_bytes of lines, and nothing on disk until a line is written.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "../run/run_support.hpp"
#include "../support/temp_dir.hpp"
#include "lockstep/pipeline/output_text.hpp"
#include "lockstep/pipeline/run_dir.hpp"
#include "report/instance_tails.hpp"

namespace fs = std::filesystem;
using lockstep::Logger;
using lockstep::RunDirLog;
using lockstep::test::read_file;
using lockstep::test::TempDir;

namespace {

std::vector<std::string> lines_of(const fs::path& path) {
  std::istringstream in(read_file(path));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Every id of up to `length` characters over `alphabet`.
std::vector<std::string> all_ids(std::string_view alphabet, std::size_t length) {
  std::vector<std::string> ids{""};
  for (std::size_t begin = 0, size = 1; size <= length; ++size) {
    const auto end = ids.size();
    for (auto i = begin; i < end; ++i) {
      for (const char c : alphabet) ids.push_back(ids[i] + c);
    }
    begin = end;
  }
  return ids;
}

class RecordingSink final : public lockstep::LogSink {
 public:
  void write(std::string_view job_id, Logger::Level, std::string_view line) override {
    std::lock_guard lock(mutex_);
    lines_.push_back(std::string(job_id) + ": " + std::string(line));
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

// The files under `dir`, relative to it, sorted.
std::vector<std::string> files_under(const fs::path& dir) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path().lexically_relative(dir).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// A stage of one job "j" over range(0, count) that goes on after failures.
lockstep::Pipeline fan_out_pipeline(const lockstep::RegisteredJobType* type, int count) {
  auto s =
      lockstep::test::stage("s", {lockstep::test::job(type, "j", lockstep::test::range(0, count))});
  s.on_failure = lockstep::OnFailure::continue_;
  return lockstep::test::pipeline({s});
}

// The files of this process open under `dir` now.
int open_files_under(const fs::path& dir) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    std::error_code error;
    const auto target = fs::read_symlink(entry.path(), error);
    if (!error && target.string().starts_with(dir.string() + "/")) ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("a job id names its log file as the runner's ids read") {
  CHECK(RunDirLog::job_log_path("fetch/get[3]") == "jobs/fetch/get.3.log");
  CHECK(RunDirLog::job_log_path("fetch/all") == "jobs/fetch/all.log");
  CHECK(RunDirLog::job_log_path("solve@2/step[0]") == "jobs/solve@2/step.0.log");
  CHECK(RunDirLog::job_log_path("nap") == "jobs/nap.log");
  // The job's file, which every instance of a fan-out writes to.
  CHECK(RunDirLog::job_lines_path("fetch/get[3]") == "jobs/fetch/get.log");
  CHECK(RunDirLog::job_lines_path("solve@2/step[0]") == "jobs/solve@2/step.log");
  CHECK(RunDirLog::job_lines_path("fetch/all") == "jobs/fetch/all.log");
  CHECK(RunDirLog::job_lines_path("a[1][2]") == RunDirLog::job_log_path("a[1][2]"));
}

TEST_CASE("unsafe characters in a job id are escaped, never taken as paths") {
  CHECK(RunDirLog::job_log_path("a/b.1") == "jobs/a/b%2E1.log");
  CHECK(RunDirLog::job_log_path("../../etc/passwd") == "jobs/%2E%2E/%2E%2E/etc/passwd.log");
  CHECK(RunDirLog::job_log_path("/abs") == "jobs/%2Fabs.log");
  CHECK(RunDirLog::job_log_path("a//b/") == "jobs/a%2F%2Fb%2F.log");
  CHECK(RunDirLog::job_log_path("two words/\xC3\xA9") == "jobs/two%20words/%C3%A9.log");
  CHECK(RunDirLog::job_log_path("50%[x]") == "jobs/50%25%5Bx%5D.log");
  // Only an instance id's index becomes a suffix; other text is escaped whole.
  CHECK(RunDirLog::job_log_path("a[1][2]") == "jobs/a%5B1%5D%5B2%5D.log");
  CHECK(RunDirLog::job_log_path("s@2/a[1]") == "jobs/s@2/a.1.log");
  CHECK(RunDirLog::job_log_path("s/a[1][2]") == "jobs/s/a%5B1%5D%5B2%5D.log");
}

TEST_CASE("distinct job ids never share a log file") {
  // Every id of up to 5 characters made of the characters that matter to the mapping.
  const auto ids = all_ids("a/[]1.%@", 5);
  std::unordered_map<std::string, std::string> owner;
  std::set<std::string> files;
  for (const auto& id : ids) {
    const auto path = RunDirLog::job_log_path(id);
    const auto [at, inserted] = owner.emplace(path.string(), id);
    INFO("'" << id << "' and '" << at->second << "' -> " << path);
    REQUIRE(inserted);
    // The file system reads it as written: no empty, "." or ".." part to fold away.
    REQUIRE(path.lexically_normal() == path);
    REQUIRE(*path.begin() == "jobs");
    files.insert(path.string());
  }
  // No file is a directory of another's.
  for (const auto& file : files) {
    const auto below = files.lower_bound(file + "/");
    INFO(file);
    REQUIRE((below == files.end() || !below->starts_with(file + "/")));
  }
  CHECK(owner.size() == ids.size());
}

TEST_CASE("a run directory is made only when a job logs a line") {
  TempDir temp;
  const auto dir = temp.path() / "runs" / "quiet";
  {
    RunDirLog log(dir);
    CHECK_FALSE(log.created());
  }
  CHECK_FALSE(fs::exists(temp.path() / "runs"));

  RunDirLog log(dir);
  log.write("fetch/get[2]", Logger::Level::info, "one line");
  CHECK(log.created());
  CHECK(lines_of(dir / "jobs/fetch/get.2.log") == std::vector<std::string>{"one line"});
  CHECK(lines_of(dir / "jobs/fetch/get.log") == std::vector<std::string>{"[2] one line"});
  CHECK(lines_of(dir / "run.log").size() == 1);
  // Only the files that lines went to.
  std::vector<std::string> made;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    made.push_back(entry.path().lexically_relative(dir).string());
  }
  std::sort(made.begin(), made.end());
  CHECK(made == std::vector<std::string>{"jobs", "jobs/fetch", "jobs/fetch/get.2.log",
                                         "jobs/fetch/get.log", "run.log"});
}

TEST_CASE("run.log tags each line with its time, level, stage, iteration, job and index") {
  TempDir temp;
  {
    RunDirLog log(temp.path());
    log.write("fetch/get[3]", Logger::Level::info, "said \"hi\"\tthen left");
    log.write("solve@2/step", Logger::Level::warning, "from stderr");
    log.write("nap", Logger::Level::error, "not a runner id");
    log.write("s/j", Logger::Level::debug, "bad \xFF byte");
  }
  const auto lines = lines_of(temp.path() / "run.log");
  REQUIRE(lines.size() == 4);
  const std::regex stamp(R"(\{"ts":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")");
  for (const auto& line : lines) {
    INFO(line);
    CHECK(std::regex_search(line, stamp, std::regex_constants::match_continuous));
  }
  auto after_stamp = [](const std::string& line) { return line.substr(line.find("\"level\"")); };
  CHECK(after_stamp(lines[0]) ==
        R"("level":"info","stage":"fetch","job":"get","index":3,"msg":"said \"hi\"\tthen left"})");
  CHECK(after_stamp(lines[1]) ==
        R"("level":"warning","stage":"solve","iteration":2,"job":"step","msg":"from stderr"})");
  CHECK(after_stamp(lines[2]) == R"("level":"error","job":"nap","msg":"not a runner id"})");
  CHECK(after_stamp(lines[3]) ==
        "\"level\":\"debug\",\"stage\":\"s\",\"job\":\"j\",\"msg\":\"bad \xEF\xBF\xBD byte\"}");
  // The instance's own file holds the line as the job wrote it; its job's file, led by its index.
  CHECK(read_file(temp.path() / "jobs/fetch/get.3.log") == "said \"hi\"\tthen left\n");
  CHECK(read_file(temp.path() / "jobs/fetch/get.log") == "[3] said \"hi\"\tthen left\n");
  CHECK(read_file(temp.path() / "jobs/solve@2/step.log") == "from stderr\n");
}

TEST_CASE("every line reaches its job's file and run.log exactly once, from many threads") {
  TempDir temp;
  constexpr int kThreads = 8, kLinesPerThread = 600, kJobs = 40;
  auto id_of = [](int job) { return "stage/job[" + std::to_string(job) + "]"; };
  {
    // Fewer open files than jobs: files are closed and opened again while others write.
    RunDirLog log(temp.path(), {.max_open_files = 5});
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&log, &id_of, t] {
        for (int n = 0; n < kLinesPerThread; ++n) {
          const int job = (n * 7 + t) % kJobs;
          log.write(
              id_of(job), Logger::Level::info,
              "t" + std::to_string(t) + " n" + std::to_string(n) + " j" + std::to_string(job));
        }
      });
    }
    for (auto& thread : threads) thread.join();
  }

  std::map<int, std::multiset<std::string>> expected;
  for (int t = 0; t < kThreads; ++t) {
    for (int n = 0; n < kLinesPerThread; ++n) {
      const int job = (n * 7 + t) % kJobs;
      expected[job].insert("t" + std::to_string(t) + " n" + std::to_string(n) + " j" +
                           std::to_string(job));
    }
  }
  std::multiset<std::string> all_expected, led_expected;
  for (int job = 0; job < kJobs; ++job) {
    const auto lines = lines_of(temp.path() / RunDirLog::job_log_path(id_of(job)));
    INFO("job " << job);
    CHECK(std::multiset<std::string>(lines.begin(), lines.end()) == expected[job]);
    for (const auto& line : expected[job]) {
      all_expected.insert("\"index\":" + std::to_string(job) + ",\"msg\":\"" + line + "\"}");
      led_expected.insert("[" + std::to_string(job) + "] " + line);
    }
  }
  const auto led = lines_of(temp.path() / "jobs/stage/job.log");
  CHECK(std::multiset<std::string>(led.begin(), led.end()) == led_expected);
  std::multiset<std::string> in_run_log;
  for (const auto& line : lines_of(temp.path() / "run.log")) {
    in_run_log.insert(line.substr(line.find("\"index\"")));
  }
  CHECK(in_run_log == all_expected);
}

TEST_CASE("no more job files are open at once than max_open_files") {
  TempDir temp;
  RunDirLog log(temp.path(), {.max_open_files = 3});
  int most = 0;
  for (int round = 0; round < 3; ++round) {
    for (int job = 0; job < 10; ++job) {
      log.write("s/j[" + std::to_string(job) + "]", Logger::Level::info, "line");
      most = std::max(most, open_files_under(temp.path()));
    }
  }
  CHECK(most == 3 + 1);  // the job files, and run.log
  for (int job = 0; job < 10; ++job) {
    CHECK(lines_of(temp.path() / "jobs/s" / ("j." + std::to_string(job) + ".log")).size() == 3);
  }
}

TEST_CASE("a fan-out's instances share their job's file; only the first have one of their own") {
  TempDir temp;
  {
    RunDirLog log(temp.path(), {.instance_files = 2});
    for (const int index : {0, 1, 2, 9, 1}) {
      log.write("s/j[" + std::to_string(index) + "]", Logger::Level::info,
                "line of " + std::to_string(index));
    }
    log.write("s/solo", Logger::Level::info, "no fan-out");
  }
  CHECK(lines_of(temp.path() / "jobs/s/j.log") ==
        std::vector<std::string>{"[0] line of 0", "[1] line of 1", "[2] line of 2", "[9] line of 9",
                                 "[1] line of 1"});
  CHECK(lines_of(temp.path() / "jobs/s/j.0.log") == std::vector<std::string>{"line of 0"});
  CHECK(lines_of(temp.path() / "jobs/s/j.1.log") ==
        std::vector<std::string>{"line of 1", "line of 1"});
  CHECK_FALSE(fs::exists(temp.path() / "jobs/s/j.2.log"));
  CHECK_FALSE(fs::exists(temp.path() / "jobs/s/j.9.log"));
  CHECK(lines_of(temp.path() / "jobs/s/solo.log") == std::vector<std::string>{"no fan-out"});
  CHECK(lines_of(temp.path() / "run.log").size() == 6);
}

TEST_CASE("lines stop at max_bytes, and run.log says so once") {
  TempDir temp;
  const std::string line(40, 'x');
  RunDirLog log(temp.path(), {.run_id = "r", .max_bytes = 2000});
  for (int n = 0; n < 100; ++n) log.write("s/j[7]", Logger::Level::info, line);
  CHECK(log.reached_max_bytes());
  const auto records = lines_of(temp.path() / "run.log");
  REQUIRE(records.size() >= 2);
  const auto kept = records.size() - 1;  // the last one is the note
  CHECK(records.back().find("\"job\"") == std::string::npos);
  CHECK_THAT(records.back(),
             Catch::Contains("\"level\":\"warning\"") && Catch::Contains("limit of 2000 bytes"));
  CHECK(lines_of(temp.path() / "jobs/s/j.log").size() == kept);
  CHECK(lines_of(temp.path() / "jobs/s/j.7.log").size() == kept);
  // What the lines take, the note aside, is within the limit, and another line would not fit.
  std::uintmax_t bytes = fs::file_size(temp.path() / "jobs/s/j.log") +
                         fs::file_size(temp.path() / "jobs/s/j.7.log") +
                         fs::file_size(temp.path() / "run.log") - records.back().size() - 1;
  CHECK(bytes <= 2000);
  CHECK(bytes + records.front().size() + 1 + ("[7] " + line + "\n").size() + line.size() + 1 >
        2000);

  TempDir unlimited;
  RunDirLog all(unlimited.path(), {.max_bytes = std::nullopt});
  for (int n = 0; n < 100; ++n) all.write("s/j[7]", Logger::Level::info, line);
  CHECK_FALSE(all.reached_max_bytes());
  CHECK(lines_of(unlimited.path() / "jobs/s/j.log").size() == 100);
}

TEST_CASE("lines go on to another sink from a level, and always when they cannot be written") {
  TempDir temp;
  RecordingSink forwarded;
  {
    RunDirLog log(temp.path() / "ok",
                  {.forward = &forwarded, .forward_from = Logger::Level::warning});
    log.write("s/a", Logger::Level::info, "only in files");
    log.write("s/a", Logger::Level::warning, "also forwarded");
    CHECK(log.error().empty());
  }
  CHECK(forwarded.lines() == std::vector<std::string>{"s/a: also forwarded"});

  // A regular file where the directory should be: nothing can be written under it.
  const auto blocker = temp.path() / "blocker";
  { std::ofstream(blocker) << "x"; }
  RecordingSink rescued;
  RunDirLog log(blocker / "run", {.forward = &rescued, .forward_from = Logger::Level::error});
  log.write("s/b", Logger::Level::info, "not lost");
  CHECK(rescued.lines() == std::vector<std::string>{"s/b: not lost"});
  CHECK_FALSE(log.created());
  CHECK_THAT(log.error(), Catch::Contains("blocker"));
}

TEST_CASE("check_writable says why a run directory cannot be made, and makes nothing") {
  TempDir temp;
  CHECK(RunDirLog::check_writable(temp.path()).empty());
  CHECK(RunDirLog::check_writable(temp.path() / "a/b/c").empty());
  CHECK_FALSE(fs::exists(temp.path() / "a"));

  const auto file = temp.path() / "file";
  { std::ofstream(file) << "x"; }
  CHECK_THAT(RunDirLog::check_writable(file), Catch::Contains("is not a directory"));
  CHECK_THAT(RunDirLog::check_writable(file / "run"), Catch::Contains("is not a directory"));
}

TEST_CASE("the default run directory names the pipeline, the time and the process") {
  const auto dir = lockstep::default_run_dir("my pipe/v2").string();
  const std::regex shape(R"(\.lockstep/runs/my_pipe_v2-\d{8}T\d{6}-(\d+))");
  std::smatch match;
  REQUIRE(std::regex_match(dir, match, shape));
  CHECK(match[1] == std::to_string(::getpid()));
  CHECK(lockstep::default_run_dir("").string().starts_with(".lockstep/runs/run-"));
}

TEST_CASE("an instance that did not succeed gets a file of its own from the log watching the run") {
  lockstep::test::ProbeTypes types;
  types.behave([](lockstep::JobContext& context) {
    context.log().info("working on " + std::to_string(context.index()));
    if (context.index() % 10 == 3) throw std::runtime_error("no");
  });
  const auto p = fan_out_pipeline(types.probe(), 50);
  TempDir temp;
  RunDirLog log(temp.path(), {.run_id = "r", .instance_files = 0});
  lockstep::Runner runner(p, {.log = &log, .observers = {&log}});
  runner.run();
  CHECK(files_under(temp.path()) ==
        std::vector<std::string>{"jobs/s/j.13.log", "jobs/s/j.23.log", "jobs/s/j.3.log",
                                 "jobs/s/j.33.log", "jobs/s/j.43.log", "jobs/s/j.log", "run.log"});
  for (const int failed : {3, 13, 23, 33, 43}) {
    INFO(failed);
    CHECK(read_file(temp.path() / ("jobs/s/j." + std::to_string(failed) + ".log")) ==
          "working on " + std::to_string(failed) + "\n");
  }
  CHECK(lines_of(temp.path() / "jobs/s/j.log").size() == 50);
}

TEST_CASE("only failed_instance_files failures get a file, and run.log notes the others once") {
  lockstep::test::ProbeTypes types;
  types.behave([](lockstep::JobContext& context) {
    context.log().info("about to fail");
    throw std::runtime_error("no");
  });
  const auto p = fan_out_pipeline(types.probe(), 12);
  TempDir temp;
  RunDirLog log(temp.path(), {.instance_files = 0, .failed_instance_files = 2});
  lockstep::Runner runner(p, {.log = &log, .observers = {&log}});
  runner.run();
  CHECK(files_under(temp.path()).size() == 2 + 2);  // two failures', the job's and run.log
  int notes = 0;
  for (const auto& record : lines_of(temp.path() / "run.log")) {
    notes += record.find("more than 2 instances that did not succeed") != std::string::npos;
  }
  CHECK(notes == 1);
  CHECK(lines_of(temp.path() / "jobs/s/j.log").size() == 12);
}

TEST_CASE("a failed instance's own file holds the end of its lines and says where the rest are") {
  lockstep::test::ProbeTypes types;
  constexpr int kLines = 3000;  // 100 bytes each: far more than an instance keeps
  types.behave([](lockstep::JobContext& context) {
    for (int n = 0; n < kLines; ++n) {
      auto line = "line " + std::to_string(n) + " ";
      line.resize(99, '.');
      context.log().info(line);
    }
    throw std::runtime_error("no");
  });
  const auto p = fan_out_pipeline(types.probe(), 1);
  TempDir temp;
  RunDirLog log(temp.path(), {.instance_files = 0});
  lockstep::Runner runner(p, {.log = &log, .observers = {&log}});
  runner.run();
  const auto lines = lines_of(temp.path() / "jobs/s/j.0.log");
  REQUIRE(lines.size() > 2);
  CHECK(lines.front() ==
        "lockstep: the last lines of s/j[0] only; all are in jobs/s/j.log, each led by [0]");
  CHECK(fs::file_size(temp.path() / "jobs/s/j.0.log") <=
        lockstep::report::InstanceTails::kPerInstance + lines.front().size() + 1);
  // The last lines, whole and in order, up to the last one logged.
  const auto first = std::stoi(lines[1].substr(5));
  CHECK(first > 0);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    INFO(lines[i]);
    REQUIRE(lines[i].size() == 99);
    REQUIRE(lines[i].starts_with("line " + std::to_string(first + static_cast<int>(i) - 1) + " "));
  }
  CHECK(lines.back().starts_with("line " + std::to_string(kLines - 1) + " "));
  CHECK(lines_of(temp.path() / "jobs/s/j.log").size() == kLines);
}

TEST_CASE("a secret is masked in a failed instance's own file as in every other") {
  REQUIRE(lockstep::register_secret("run-dir-s3cr3t"));
  lockstep::test::ProbeTypes types;
  types.behave([](lockstep::JobContext& context) {
    context.log().info("token run-dir-s3cr3t");
    throw std::runtime_error("no");
  });
  const auto p = fan_out_pipeline(types.probe(), 1);
  TempDir temp;
  RunDirLog log(temp.path(), {.instance_files = 0});
  lockstep::Runner runner(p, {.log = &log, .observers = {&log}});
  runner.run();
  REQUIRE(files_under(temp.path()).size() == 3);
  for (const auto& file : files_under(temp.path())) {
    INFO(file);
    CHECK(read_file(temp.path() / file).find("run-dir-s3cr3t") == std::string::npos);
  }
  CHECK(read_file(temp.path() / "jobs/s/j.0.log") == "token ***\n");
}

TEST_CASE("the tails of running instances are bounded, and let go when the instances end") {
  using lockstep::report::InstanceTails;
  InstanceTails tails;
  const std::string line(99, 'x');
  for (int n = 0; n < 5000; ++n) tails.append("s/j", 1, line + "\n");  // 500 KB
  CHECK(tails.bytes() <= 2 * InstanceTails::kPerInstance);
  for (std::uint64_t index = 2; index < 102; ++index) tails.append("s/j", index, "short\n");
  tails.append("s@2/j", 5, "another iteration\n");
  tails.forget("s/j", 2, 52);
  CHECK_FALSE(tails.take("s/j", 30));
  const auto kept = tails.take("s/j", 1);
  REQUIRE(kept);
  CHECK_FALSE(kept->whole);
  CHECK(kept->text.size() == InstanceTails::kPerInstance / 100 * 100);  // whole lines
  const auto later = tails.take("s/j", 60);
  REQUIRE(later);
  CHECK(later->whole);
  CHECK(later->text == "short\n");
  tails.forget_stage("s");
  CHECK(tails.take("s@2/j", 5));
  CHECK(tails.bytes() == 0);

  // All instances together keep at most kTotal: past it, an instance notes it lost a line.
  for (std::uint64_t index = 0; index < 2 * InstanceTails::kTotal / InstanceTails::kPerInstance;
       ++index) {
    for (int n = 0; n < 700; ++n) tails.append("s/j", index, line + "\n");
  }
  CHECK(tails.bytes() <= InstanceTails::kTotal);
  CHECK_FALSE(
      tails.take("s/j", 2 * InstanceTails::kTotal / InstanceTails::kPerInstance - 1)->whole);
  tails.clear();
  CHECK(tails.bytes() == 0);
}
