#include "graph_dot.hpp"

#include <array>
#include <ostream>
#include <string>
#include <vector>

#include "count_text.hpp"
#include "lockstep/engine/bulkhead.hpp"
#include "lockstep/pipeline/output_text.hpp"

namespace lockstep::cli {

namespace {

// Light fills that keep black text readable, one per bulkhead in declaration order (repeating
// after eight).
constexpr std::array<const char*, 8> kBulkheadColors = {"#cfe2f3", "#d9ead3", "#fff2cc", "#f4cccc",
                                                        "#d9d2e9", "#fce5cd", "#d0e0e3", "#ead1dc"};

// Node and cluster ids come from positions, never from names, so that no name needs escaping there
// and two names can never clash.
std::string cluster_id(std::size_t stage) { return "cluster_stage" + std::to_string(stage); }
std::string job_id(std::size_t stage, std::size_t job) {
  return "\"stage" + std::to_string(stage) + ".job" + std::to_string(job) + "\"";
}
std::string barrier_id(std::size_t stage) { return "\"barrier" + std::to_string(stage) + "\""; }
std::string bulkhead_id(std::size_t bulkhead) {
  return "\"bulkhead" + std::to_string(bulkhead) + "\"";
}

// Lines joined as one label, each escaped.
std::string label(const std::vector<std::string>& lines) {
  std::string text;
  for (std::size_t i = 0; i < lines.size(); ++i) text += (i > 0 ? "\n" : "") + lines[i];
  return dot_quote(text);
}

std::string describe_bulkhead(const BulkheadSpec& bulkhead) {
  std::string text = "bulkhead: " + bulkhead.name + " (" + count_of(bulkhead.workers, "worker") +
                     ", queue " +
                     std::to_string(bulkhead.queue.value_or(default_queue(bulkhead.workers)));
  if (bulkhead.max_wait) text += ", max_wait " + format_duration(*bulkhead.max_wait);
  return text + ")";
}

std::string describe_repeat(const Repeat& repeat) {
  if (repeat.times) return "repeat: " + count_of(*repeat.times, "time");
  std::string text = "repeat: until " + repeat.until;
  if (repeat.max) text += " (max " + std::to_string(*repeat.max) + ")";
  return text;
}

// "if: ${vars.mode} == 'fast' (false)": decided ones say how, when the pipeline was loaded.
std::string describe_condition(const Condition& condition) {
  auto text = "if: " + condition.expression;
  if (condition.holds) text += *condition.holds ? " (true)" : " (false)";
  return text;
}

std::vector<std::string> stage_lines(const StageSpec& stage) {
  std::vector<std::string> lines = {stage.name, stage.kind};
  if (stage.condition) lines.push_back(describe_condition(*stage.condition));
  if (stage.repeat) lines.push_back(describe_repeat(*stage.repeat));
  if (stage.on_failure == OnFailure::continue_) lines.emplace_back("on_failure: continue");
  return lines;
}

std::string describe_retry(const RetryPolicy& retry) {
  std::string text = "retry: " + count_of(retry.attempts, "attempt") + ", backoff " +
                     format_duration(retry.backoff);
  if (retry.max_backoff) text += " (max " + format_duration(*retry.max_backoff) + ")";
  return text;
}

std::vector<std::string> job_lines(const JobSpec& job) {
  std::vector<std::string> lines = {job.id, job.type ? job.type->qualified_name : "?",
                                    "bulkhead: " + job.bulkhead};
  if (auto fan_out = describe_fan_out(job.foreach); !fan_out.empty()) lines.push_back(fan_out);
  if (job.retry.attempts > 1) lines.push_back(describe_retry(job.retry));
  if (job.timeout) lines.push_back("timeout: " + format_duration(*job.timeout));
  if (job.continue_on_error) lines.emplace_back("continue_on_error");
  if (job.condition) lines.push_back(describe_condition(*job.condition));
  return lines;
}

std::string color_of(const Pipeline& pipeline, const std::string& bulkhead) {
  for (std::size_t i = 0; i < pipeline.bulkheads.size(); ++i) {
    if (pipeline.bulkheads[i].name == bulkhead) return kBulkheadColors[i % kBulkheadColors.size()];
  }
  return "white";
}

void write_legend(std::ostream& out, const Pipeline& pipeline) {
  if (pipeline.bulkheads.empty()) return;
  out << "  subgraph cluster_bulkheads {\n"
      << "    label=\"bulkheads\";\n"
      << "    style=dashed;\n";
  for (std::size_t i = 0; i < pipeline.bulkheads.size(); ++i) {
    out << "    " << bulkhead_id(i)
        << " [label=" << dot_quote(describe_bulkhead(pipeline.bulkheads[i])) << ", fillcolor=\""
        << kBulkheadColors[i % kBulkheadColors.size()] << "\"];\n";
  }
  out << "  }\n";
}

void write_stage(std::ostream& out, const Pipeline& pipeline, std::size_t index) {
  const auto& stage = pipeline.stages[index];
  out << "  subgraph " << cluster_id(index) << " {\n"
      << "    label=" << label(stage_lines(stage)) << ";\n";
  for (std::size_t j = 0; j < stage.jobs.size(); ++j) {
    const auto& job = stage.jobs[j];
    out << "    " << job_id(index, j) << " [label=" << label(job_lines(job)) << ", fillcolor=\""
        << color_of(pipeline, job.bulkhead) << "\"];\n";
  }
  out << "  }\n";
}

// Every job of stage `before` leads to its barrier, and the barrier to every job of each stage
// that needs it. A stage nothing needs has no barrier drawn.
void write_barrier(std::ostream& out, const Pipeline& pipeline, std::size_t before,
                   const std::vector<std::size_t>& dependents) {
  if (dependents.empty()) return;
  const auto barrier = barrier_id(before);
  out << "  " << barrier << " [label=\"barrier\", shape=diamond, fillcolor=\"#eeeeee\"];\n";
  for (std::size_t j = 0; j < pipeline.stages[before].jobs.size(); ++j) {
    out << "  " << job_id(before, j) << " -> " << barrier << ";\n";
  }
  for (const auto after : dependents) {
    for (std::size_t j = 0; j < pipeline.stages[after].jobs.size(); ++j) {
      out << "  " << barrier << " -> " << job_id(after, j) << ";\n";
    }
  }
}

}  // namespace

std::string dot_quote(std::string_view unmasked) {
  const auto text = mask_secrets(unmasked);  // an item may be a secret's value
  std::string quoted = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        quoted += "\\\"";
        break;
      case '\\':  // else \n, \l, \N ... in a name would be read as Graphviz escapes
        quoted += "\\\\";
        break;
      case '\n':
        quoted += "\\n";
        break;
      default:
        // Other control characters have no place in a label.
        quoted += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
    }
  }
  return quoted + "\"";
}

void write_dot(std::ostream& out, const Pipeline& pipeline) {
  const std::string title = pipeline.name.empty() ? pipeline.file : pipeline.name;
  std::string graph_label = title;
  if (pipeline.threads) graph_label += "\nthreads: " + std::to_string(*pipeline.threads);
  out << "digraph " << dot_quote(title) << " {\n"
      << "  graph [label=" << dot_quote(graph_label)
      << ", labelloc=t, fontname=\"Helvetica\", newrank=true];\n"
      << "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];\n"
      << "  edge [fontname=\"Helvetica\"];\n";
  write_legend(out, pipeline);
  // Every node in its cluster before any edge names it: a node an edge names first would
  // belong to the top graph.
  for (std::size_t i = 0; i < pipeline.stages.size(); ++i) write_stage(out, pipeline, i);
  std::vector<std::vector<std::size_t>> dependents(pipeline.stages.size());
  const auto needs = stage_needs(pipeline);
  for (std::size_t s = 0; s < needs.size(); ++s) {
    for (const auto need : needs[s]) dependents[need].push_back(s);
  }
  for (std::size_t i = 0; i < pipeline.stages.size(); ++i) {
    write_barrier(out, pipeline, i, dependents[i]);
  }
  out << "}\n";
}

}  // namespace lockstep::cli
