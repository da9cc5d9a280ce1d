// Odd documents, of the kind a fuzzer makes: each is an error with a position, never a crash,
// a hang or an exception.
#include <catch2/catch.hpp>

#include "support.hpp"

namespace lockstep::test {
namespace {

TEST_CASE("odd documents are errors and never crashes") {
  const char* documents[] = {
      "- a\n- b\n",
      "just text\n",
      "~\n",
      "version: 1\nstages: ~\n",
      "version: 1\nstages: [~, [], 3]\n",
      "version: 1\nstages:\n  - name: a\n    jobs: [~, [x], { id: ~, type: ~ }]\n",
      "version: [1]\nstages: {}\n",
      "version: 1\nstages: [{ name: a, jobs: [{ id: x, type: noop, foreach: ~ }] }]\n",
      "version: 1\nstages: [{ name: a, jobs: [{ id: x, type: noop, foreach: { range: ~ } }] }]\n",
      "version: 1\nthreads: 0\nstages: [{ name: a, jobs: [{ id: x, type: sleep, params: { "
      "duration: \"${item}\" }, foreach: { range: { from: 9223372036854775807, to: "
      "-9223372036854775808, step: -9223372036854775808 } } }] }]\n",
      "version: 1\nstages: [{ name: a, jobs: [{ id: x, type: noop, retry: { attempts: "
      "99999999999999999999 } }] }]\n",
      "version: 1\nstages: [{ name: a, jobs: [{ id: x, type: echo, params: { message: "
      "[{ a: [b] }] } }] }]\n",
      "version: 1\nstages: [{ name: a, jobs: [{ id: x, type: echo, params: { message: \"${\" } }] "
      "}]\n",
      "version: 1\nstages: [{ name: a, jobs: [{ id: x, type: echo, params: { message: \"${}\" } }] "
      "}]\n",
      "version: 1\nvars: { a: { b: c } }\nstages: [{ name: a, jobs: [{ id: x, type: noop }] }]\n",
      "version: 1\nbulkheads: [io]\ndefaults: [x]\nplugins: { a: b }\nstages: [{ name: a, jobs: "
      "[{ id: x, type: noop }] }]\n",
      "version: 1\nthreads: ${item}\nstages: ~\n",
      "version: 1\nplugins: [\"${vars.x}\"]\nstages: [{ name: \"${vars.x}\", kind: \"${\", "
      "jobs: [{ id: \"${index}\", type: \"${env.NO}\", foreach: { from_outputs: \"${vars.s}.j.k\" "
      "} }] }]\n",
      "version: 1\nstages: [{ name: a, jobs: { params: { m: \"${item}\" } }, "
      "with: { k: \"${x}\" } }]\n",
      "a: &x [*x]\n",
      "\t\x01\xff: [\n",
      "version: 1\n---\nversion: 2\n",
  };
  for (const char* document : documents) {
    CAPTURE(document);
    Parsed parsed;
    REQUIRE_NOTHROW(parsed = parse(document));
    CHECK_FALSE(parsed.pipeline.has_value());
    CHECK(parsed.diagnostics.has_errors());
    for (const auto& diagnostic : parsed.diagnostics.all()) {
      CHECK(diagnostic.where.file == kFile);
      CHECK(diagnostic.where.line >= 1);
    }
  }
}

}  // namespace
}  // namespace lockstep::test
