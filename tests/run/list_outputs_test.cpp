// List outputs: ctx.output(key, list) publishes a list; a from_outputs fan-out makes an instance
// of each element, in instance order, then element order; publishing a key again replaces what
// the instance published under it; input() reads a list's last element. Resuming a run publishes
// a reused instance's list again as a list.
#include <catch2/catch.hpp>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "run_support.hpp"

namespace lockstep::test {

namespace {

FanOut from_outputs(std::string reference) {
  FanOut fan_out;
  fan_out.kind = FanOut::Kind::from_outputs;
  fan_out.reference = std::move(reference);
  return fan_out;
}

// What each instance of the consuming job (n == 9) received as its item, by index.
class Received {
 public:
  void add(std::uint64_t index, std::string item) {
    std::lock_guard lock(mutex_);
    items_[index] = std::move(item);
  }
  std::vector<std::string> in_order() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> items;
    for (const auto& [index, item] : items_) items.push_back(item);
    return items;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::uint64_t, std::string> items_;
};

}  // namespace

TEST_CASE("from_outputs fans out over list elements: instance order, then element order") {
  ProbeTypes types;
  Received received;
  std::mutex inputs_mutex;
  std::vector<std::optional<std::string>> inputs;
  types.behave([&](JobContext& ctx) {
    const auto n = ctx.params().get<std::int64_t>("n");
    const auto i = std::to_string(ctx.index());
    if (n == 1) {
      // Instance 2 publishes an empty list (nothing to fan out over); instance 1 a plain value;
      // the others two elements. Each publishes `files` twice: the second replaces the first.
      ctx.output("files", std::vector<std::string>{"stale" + i});
      if (ctx.index() == 1) {
        ctx.output("files", "only1");
      } else if (ctx.index() == 2) {
        ctx.output("files", std::vector<std::string>{});
      } else {
        ctx.output("files", std::vector<std::string>{"f" + i + ".a", "f" + i + ".b"});
      }
    }
    if (n == 9) {
      received.add(ctx.index(), ctx.item().value);
      std::lock_guard lock(inputs_mutex);
      inputs.push_back(ctx.input("list.ls.files"));
    }
  });
  auto producer = job(types.probe(), "ls", range(0, 4));
  producer.params.set("n", std::int64_t{1});
  auto consumer = job(types.probe(), "each", from_outputs("list.ls.files"));
  consumer.params.set("n", std::int64_t{9});
  const auto result = run(pipeline({stage("list", {producer}), stage("use", {consumer})}));
  REQUIRE(result.exit_code() == 0);
  CHECK(received.in_order() == std::vector<std::string>{"f0.a", "f0.b", "only1", "f3.a", "f3.b"});
  CHECK(result.stages[1].counts[JobState::succeeded] == 5);
  // input(): the last instance's list, its last element.
  REQUIRE(inputs.size() == 5);
  for (const auto& input : inputs) CHECK(input == std::optional<std::string>("f3.b"));
}

TEST_CASE("Outputs keeps a list per instance, and publish() of a value replaces it") {
  Outputs outputs;
  outputs.publish_list("s.j", 1, "k", {"b1", "b2"});
  outputs.publish_list("s.j", 0, "k", {"a1"});
  outputs.publish("s.j", 2, "k", "c");
  outputs.publish_list("s.j", 2, "k", {"c1", "c2", "c3"});
  outputs.publish("s.j", 1, "k", "b");
  CHECK(outputs.values("s.j.k") == std::vector<std::string>{"a1", "b", "c1", "c2", "c3"});
  CHECK(outputs.get("s.j.k") == std::optional<std::string>("c3"));
  const auto published = outputs.published("s.j.k", 1, 3);
  REQUIRE(published.size() == 4);
  CHECK(published[0] == std::pair<std::uint64_t, std::string>{1, "b"});
  CHECK(published[3] == std::pair<std::uint64_t, std::string>{2, "c3"});
  outputs.publish_list("s.j", 3, "k", {});
  CHECK(outputs.get("s.j.k") == std::optional<std::string>("c3"));  // an empty list: nothing
}

TEST_CASE("restored outputs: consecutive elements of one instance and key are one list") {
  Outputs outputs;
  publish_restored(
      outputs, "s.j",
      {{0, "k", "a1"}, {0, "k", "a2"}, {0, "other", "x"}, {1, "k", "b1"}, {5, "k", "past the end"}},
      2);
  CHECK(outputs.values("s.j.k") == std::vector<std::string>{"a1", "a2", "b1"});
  CHECK(outputs.values("s.j.other") == std::vector<std::string>{"x"});
}

}  // namespace lockstep::test
