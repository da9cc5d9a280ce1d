// item_text(): each kind of fan-out's items as reports and traces show them. The items are made
// the real way: read from YAML by the config layer, enumerated by the runner, and seen by an
// observer as the report sees them (InstanceEvent::item).
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <mutex>
#include <string>

#include <lockstep/plugin/job.hpp>
#include <lockstep/pipeline/runner.hpp>

#include "../support/temp_dir.hpp"
#include "support.hpp"

namespace lockstep::test {
namespace {

// Each instance's item text, by instance id; "(none)" when the event carries no item.
class ItemTexts final : public RunObserver {
 public:
  Interest interest() const override { return Interest::all; }
  void instance_ended(const InstanceEvent& instance) override {
    std::lock_guard lock(mutex_);
    texts_[instance.id] = instance.item != nullptr ? item_text(*instance.item) : "(none)";
  }
  std::map<std::string, std::string> texts() const {
    std::lock_guard lock(mutex_);
    return texts_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string> texts_;
};

class QuietLog final : public LogSink {
 public:
  void write(std::string_view, Logger::Level, std::string_view) override {}
};

std::map<std::string, std::string> item_texts_of_run(const Pipeline& pipeline) {
  ItemTexts texts;
  QuietLog quiet;
  Runner runner(pipeline, {.log = &quiet, .observers = {&texts}});
  REQUIRE(runner.run().exit_code() == 0);
  return texts.texts();
}

}  // namespace

TEST_CASE("item_text shows each fan-out kind's item: value, path or key=value pairs") {
  TempDir data;
  for (const auto* name : {"b.txt", "a.txt"}) std::ofstream(data.path() / name) << "x\n";
  const auto files = (data.path() / "*.txt").string();
  const auto pipeline = parse_good(R"(version: 1
stages:
  - name: make
    jobs:
      - { id: each, type: output, params: { values: { word: hello } } }
  - name: s
    jobs:
      - { id: plain, type: noop }
      - { id: scalar, type: noop, foreach: { items: [alpha, "two words"] } }
      - { id: mapped, type: noop, foreach: { items: [{ os: linux, cc: gcc }] } }
      - { id: ranged, type: noop, foreach: { range: { from: 10, to: 0, step: -5 } } }
      - { id: grid, type: noop, foreach: { matrix: { os: [linux, mac], n: [1, 2] } } }
      - { id: fed, type: noop, foreach: { from_outputs: make.each.word } }
      - { id: file, type: noop, foreach: { files: ")" +
                                   files + R"(" } }
)");
  const auto texts = item_texts_of_run(pipeline);

  CHECK(texts.at("s/plain") == "(none)");  // no fan-out: no item to name
  CHECK(texts.at("s/scalar[0]") == "alpha");
  CHECK(texts.at("s/scalar[1]") == "two words");
  CHECK(texts.at("s/mapped[0]") == "cc=gcc, os=linux");  // by key, as ${item.KEY} are
  CHECK(texts.at("s/ranged[0]") == "10");
  CHECK(texts.at("s/ranged[1]") == "5");
  CHECK(texts.at("s/grid[0]") == "n=1, os=linux");
  CHECK(texts.at("s/grid[3]") == "n=2, os=mac");
  CHECK(texts.at("s/fed[0]") == "hello");
  CHECK(texts.at("s/file[0]") == (data.path() / "a.txt").string());  // the path, in byte order
  CHECK(texts.at("s/file[1]") == (data.path() / "b.txt").string());
}

TEST_CASE("item_text of an item without fan-out is empty, of a map item its fields") {
  CHECK(item_text({}).empty());
  CHECK(item_text({.value = "a.txt", .fields = {}}) == "a.txt");
  // A file's item: its value is its path, the fields say it again in parts.
  CHECK(item_text({.value = "in/a.txt",
                   .fields = {{"path", "in/a.txt"}, {"name", "a.txt"}, {"stem", "a"}}}) ==
        "in/a.txt");
  // A map item whose field happens to be called path is still shown by its fields.
  CHECK(item_text({.value = "{path: p, x: 1}", .fields = {{"path", "p"}, {"x", "1"}}}) ==
        "path=p, x=1");
}

}  // namespace lockstep::test
