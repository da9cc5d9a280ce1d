// tools/cli/graph_dot.hpp — a pipeline as Graphviz DOT (what `lockstep graph` prints).
//
//   write_dot(std::cout, pipeline);     // lockstep graph pipe.yaml | dot -Tsvg > pipe.svg
//
// A cluster per stage (its name, kind, repeat and failure policy), a node per job (id, type,
// bulkhead, fan-out as a count, retry, timeout), a barrier node between consecutive stages with
// an edge from each job of the one to it and from it to each job of the next, and a legend
// cluster with one node per bulkhead (workers, queue, max_wait) in the color of its jobs.
// The same pipeline always gives the same text.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

#include "lockstep/pipeline/pipeline.hpp"

namespace lockstep::cli {

void write_dot(std::ostream& out, const Pipeline& pipeline);

// `text` as a DOT double-quoted string, quotes included: "a \"b\"\nc" for a "b"<newline>c.
std::string dot_quote(std::string_view text);

}  // namespace lockstep::cli
