#include "config/bulkheads.hpp"

#include <algorithm>
#include <array>
#include <utility>
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

std::optional<Isolation> read_isolation(const YamlNode& node, std::string_view what,
                                        Diagnostics& diagnostics) {
  auto text = read_scalar(node, what, diagnostics);
  if (!text) return std::nullopt;
  if (*text == "thread") return Isolation::thread;
  if (*text == "process") return Isolation::process;
  auto hint = did_you_mean(*text, std::vector<std::string>{"thread", "process"});
  diagnostics.error(node.where, std::string(what) + " must be thread or process, not " +
                                    quoted_value(node),
                    hint.empty() ? "process runs each job in a worker process (docs/isolation.md)"
                                 : hint);
  return std::nullopt;
}

// "256M", "256MiB", "1G", "1GB", "1048576": powers of 1024.
std::optional<std::uint64_t> read_memory(const YamlNode& node, std::string_view what,
                                         Diagnostics& diagnostics) {
  auto text = read_scalar(node, what, diagnostics);
  if (!text) return std::nullopt;
  std::uint64_t number = 0;
  std::size_t at = 0;
  bool overflow = false;
  for (; at < text->size() && (*text)[at] >= '0' && (*text)[at] <= '9'; ++at) {
    overflow = overflow || number > (std::uint64_t{1} << 50);
    number = number * 10 + static_cast<std::uint64_t>((*text)[at] - '0');
  }
  auto unit = std::string_view(*text).substr(at);
  int shift = -1;
  for (const auto& [names, bits] : {std::pair{std::array<std::string_view, 3>{"", "B", "B"}, 0},
                                    {{"K", "KiB", "KB"}, 10},
                                    {{"M", "MiB", "MB"}, 20},
                                    {{"G", "GiB", "GB"}, 30},
                                    {{"T", "TiB", "TB"}, 40}}) {
    if (std::ranges::find(names, unit) != names.end()) shift = bits;
  }
  if (at == 0 || shift < 0 || overflow || number > (std::uint64_t{1} << (62 - shift))) {
    diagnostics.error(node.where, std::string(what) + " must be a size such as 512M or 2G, not " +
                                      quoted_value(node),
                      "K, M, G and T are powers of 1024; KiB, MiB, GiB and TiB mean the same");
    return std::nullopt;
  }
  if (number << shift < (std::uint64_t{16} << 20)) {
    diagnostics.error(node.where, std::string(what) + " must be at least 16M, not " +
                                      quoted_value(node),
                      "a worker process needs that much to start");
    return std::nullopt;
  }
  return number << shift;
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
  check_keys(node, {"workers", "queue", "max_wait", "isolation", "memory", "cpu_time"}, owner,
             diagnostics);
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
  if (const auto* isolation = node.find("isolation")) {
    spec.isolation = read_isolation(*isolation, field("isolation", owner), diagnostics);
  }
  const auto* memory = node.find("memory");
  if (memory != nullptr) spec.memory = read_memory(*memory, field("memory", owner), diagnostics);
  const auto* cpu_time = node.find("cpu_time");
  if (cpu_time != nullptr) {
    spec.cpu_time = read_duration(*cpu_time, field("cpu_time", owner), true, diagnostics);
  }
  // Limits are a worker process's: a thread shares lockstep's own.
  for (const auto* limit : {memory, cpu_time}) {
    if (limit != nullptr && spec.isolation != Isolation::process) {
      diagnostics.error(limit->where,
                        "'" + std::string(limit == memory ? "memory" : "cpu_time") + "'" + owner +
                            " needs 'isolation: process'",
                        "a limit applies to a worker process; threads share lockstep's own");
    }
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
