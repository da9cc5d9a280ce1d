#include "config/bulkheads.hpp"

#include <algorithm>
#include <string>
#include <thread>

#include "config/schema.hpp"

namespace lockstep::config {

namespace {

std::string threads_hint() {
  const int limit = thread_limit();
  if (limit < kMaxThreads) {
    return "each worker is a thread of its own, and this machine lets lockstep start " +
           std::to_string(limit) + " (ulimit -u)";
  }
  return "each worker is a thread of its own: lockstep starts at most " +
         std::to_string(kMaxThreads);
}

// A bulkhead with mistakes is still declared: jobs naming it are not also "unknown bulkhead".
BulkheadSpec read_bulkhead(const YamlEntry& entry, Diagnostics& diagnostics) {
  YamlNode name_node{.kind = YamlNode::Kind::scalar, .text = entry.key, .where = entry.key_where};
  read_name(name_node, "bulkhead name", diagnostics);
  const std::string owner = " in bulkhead '" + entry.key + "'";
  const auto& node = entry.value;
  BulkheadSpec spec;
  spec.name = entry.key;
  spec.where = entry.key_where;
  if (!expect(node, YamlNode::Kind::map, "bulkhead '" + entry.key + "'", diagnostics)) return spec;
  check_keys(node, {"workers", "queue", "max_wait"}, owner, diagnostics);
  if (const auto* workers = require_key(node, "workers", owner, diagnostics)) {
    spec.workers = read_count(*workers, field("workers", owner), 1, diagnostics, thread_limit(),
                              threads_hint())
                       .value_or(1);
  }
  if (const auto* queue = node.find("queue")) {
    spec.queue = read_count(*queue, field("queue", owner), 0, diagnostics, kMaxQueue,
                            "its places are made when the bulkhead is: jobs past a queue this "
                            "long only wait longer");
  }
  if (const auto* max_wait = node.find("max_wait")) {
    spec.max_wait = read_duration(*max_wait, field("max_wait", owner), false, diagnostics);
  }
  return spec;
}

}  // namespace

std::vector<BulkheadSpec> read_bulkheads(const YamlNode& node, Diagnostics& diagnostics) {
  std::vector<BulkheadSpec> bulkheads;
  if (node.is_null()) return bulkheads;
  if (!expect(node, YamlNode::Kind::map, "'bulkheads'", diagnostics)) return bulkheads;
  for (const auto& entry : node.entries) {
    bulkheads.push_back(read_bulkhead(entry, diagnostics));
  }
  return bulkheads;
}

std::optional<int> read_threads(const YamlNode& node, Diagnostics& diagnostics) {
  return read_count(node, "'threads'", 1, diagnostics, thread_limit(),
                    "lockstep starts at most this many threads (fewer when ulimit -u is lower)");
}

void check_total_workers(const YamlNode& node, const std::vector<BulkheadSpec>& bulkheads,
                         std::optional<int> threads, Diagnostics& diagnostics) {
  std::int64_t total = 0;
  for (const auto& bulkhead : bulkheads) total += bulkhead.workers;
  const auto started = threads ? std::min<std::int64_t>(total, *threads) : total;
  if (started <= thread_limit()) return;
  diagnostics.error(node.where,
                    "the bulkheads have " + std::to_string(total) + " workers in all, more than " +
                        "the " + std::to_string(thread_limit()) + " threads lockstep starts",
                    "lower their 'workers', or let them share threads with 'threads: N' (a busy "
                    "bulkhead can then delay another)");
}

BulkheadSpec implicit_default_bulkhead() {
  return {.name = "default",
          .workers = static_cast<int>(std::max(1U, std::thread::hardware_concurrency())),
          .queue = std::nullopt,
          .max_wait = std::nullopt,
          .where = {}};
}

std::optional<std::string> read_bulkhead_name(const YamlNode& node, std::string_view what,
                                              LoadContext& context) {
  auto name = read_scalar(node, what, context.diagnostics);
  if (!name) return std::nullopt;
  if (std::ranges::find(context.bulkheads, *name) != context.bulkheads.end()) return name;
  auto hint = did_you_mean(*name, context.bulkheads);
  if (hint.empty()) {
    // The first few: every name in every such error would grow the output with the square of
    // the file (thousands of bulkheads, and a job repeated by aliases).
    constexpr std::size_t kListed = 8;
    const auto& declared = context.bulkheads;
    hint = "declared: ";
    for (std::size_t i = 0; i < std::min(declared.size(), kListed); ++i) {
      hint += (i ? ", " : "") + declared[i];
    }
    if (declared.size() > kListed) {
      hint += " and " + std::to_string(declared.size() - kListed) + " more";
    }
  }
  context.diagnostics.error(node.where, "unknown bulkhead " + quoted_value(node), std::move(hint));
  return std::nullopt;
}

}  // namespace lockstep::config
