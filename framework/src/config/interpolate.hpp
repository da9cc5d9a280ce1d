// ${...} references in pipeline text: ${vars.NAME}, ${env.NAME}, ${secrets.NAME} (in a job's
// params only), ${item}, ${item.KEY}, ${index}, ${iteration}, ${outputs.STAGE.JOB.KEY} (in a
// job's params only; [N] or [*] after it picks a value or all); `$$` is a literal `$`. Used by the
// config layer (vars and env, at load time) and by the runner (the per-instance references). In
// shell code (Scope::shell) each value is quoted for where it stands (config/shell_quote.hpp), and
// ${raw:NAME} pastes one as it is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lockstep/plugin/job.hpp"
#include "lockstep/plugin/params.hpp"

namespace lockstep::config {

// What the substitutions of one pipeline file may add up to.
inline constexpr std::size_t kSubstitutionBudget = std::size_t{16} << 20;

// The bytes that substituted values may still add to one file. Without a bound, vars that refer
// to each other double at every step, and aliases repeat a reference for free: a file of a few
// lines could ask for more memory than exists. Once exceeded, it stays so: later references fail
// too, silently, since the first error said it all.
struct SubstitutionBudget {
  std::size_t left = kSubstitutionBudget;
  bool exceeded = false;
};

// What references may resolve to. A null or empty member means "not available here": a
// reference to it is an error ("only a job with foreach has an ${item}").
struct Scope {
  const StringMap* vars = nullptr;
  const StringMap* env = nullptr;      // the environment snapshot
  const StringMap* secrets = nullptr;  // the pipeline's `secrets:`, by name
  const Item* item = nullptr;
  std::optional<std::uint64_t> index{};
  std::optional<int> iteration{};
  // Run time: every value published as "stage.job.key" (Outputs::values), for ${outputs.*}.
  const std::function<std::vector<std::string>(std::string_view)>* outputs = nullptr;
  // Load time, checking sample instances: an ${outputs.*} reads as an empty stand-in.
  bool outputs_later = false;
  // Load time: leave ${item...}, ${index}, ${iteration}, ${outputs.*} and `$$` as written (for
  // the runner's pass), and write each `$` of a substituted var or env value as `$$`.
  bool keep_instance_refs = false;
  // Load time, outside a job's params: a per-instance reference is an error that says where
  // such references belong, not merely that this job lacks a foreach.
  bool outside_params = false;
  // The text is shell code (a parameter declared ParamSpec::shell_code()): every value becomes
  // exactly one value for the shell, quoted for its place; ${raw:NAME} pastes it as shell code.
  bool shell = false;
  // Load time: what substituted values may still add, over the whole file; null at run time.
  SubstitutionBudget* budget = nullptr;
};

struct Interpolation {
  std::string text{};
  std::string error{};   // empty on success: "undefined variable 'vars.inptu'"
  std::string hint{};    // "did you mean 'vars.input'?"
  int error_offset = 0;  // where in the input the bad reference starts
  int references = 0;    // how many ${...} were replaced (kept ones not counted)
  // The substitution budget was exceeded before this text: it failed, with no error of its own.
  bool over_budget = false;

  bool failed() const noexcept { return !error.empty() || over_budget; }
};

// Replaces every reference and unescapes `$$`.
LOCKSTEP_INTERNAL_API Interpolation interpolate(std::string_view text, const Scope& scope);

// True when `text` refers to ${item...}, ${index}, ${iteration} or ${outputs.*}: it is made
// for each instance when it runs.
LOCKSTEP_INTERNAL_API bool refers_to_instance(std::string_view text) noexcept;

// The prefix of a reference to an output of a stage this one needs: ${outputs.STAGE.JOB.KEY}
// (JOB is `stage` for what the stage's kind published), as `foreach: {from_outputs: ...}` names it.
inline constexpr std::string_view kOutputsPrefix = "outputs.";

// ${outputs.STAGE.JOB.KEY}, ${outputs.STAGE.JOB.KEY[2]} or ${outputs.STAGE.JOB.KEY[*]}, read.
struct OutputReference {
  std::string reference{};                // "STAGE.JOB.KEY", as from_outputs names it
  std::optional<std::uint64_t> position;  // [N]: the value at N of those published
  bool all = false;                       // [*]: every value, joined by spaces
};
// Nullopt when `name` (without "${" and "}") is not of that form.
LOCKSTEP_INTERNAL_API std::optional<OutputReference> parse_output_reference(std::string_view name);

// A ${...} written in a text: its name as written ("raw:item.path") and where its '$' is.
struct Reference {
  std::string_view name;
  std::size_t offset = 0;
};
// Every reference of `text`, in order ($$ skipped); stops at an unterminated '${'.
std::vector<Reference> references(std::string_view text);

// The prefix of a reference whose value is pasted into shell code as it is: ${raw:vars.flags}.
inline constexpr std::string_view kRawPrefix = "raw:";

}  // namespace lockstep::config
