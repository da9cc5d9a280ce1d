#include "config/fanout.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

#include "config/schema.hpp"
#include "config/vars.hpp"

namespace lockstep::config {

namespace {

constexpr std::array<std::string_view, 5> kSources{"items", "range", "matrix", "from_outputs",
                                                   "files"};

std::string source_list() {
  std::string list;
  for (auto source : kSources) list += (list.empty() ? "" : ", ") + std::string(source);
  return list;
}

class FanOutReader {
 public:
  FanOutReader(std::string_view owner, LoadContext& context)
      : owner_(owner), context_(context), diags_(context.diagnostics) {}

  ReadFanOut read(const YamlNode& node) {
    const auto what = "'foreach'" + owner_;
    if (!expect(node, YamlNode::Kind::map, what, diags_)) return failed();
    result_.fanout.where = node.where;
    result_.fanout.allow_empty = context_.defaults.allow_empty;
    const YamlEntry* source = nullptr;
    for (const auto& entry : node.entries) {
      if (entry.key == "allow_empty") {
        const auto allowed = read_boolean(entry.value, "'allow_empty'" + owner_, diags_);
        if (!allowed) result_.ok = false;
        result_.fanout.allow_empty = allowed.value_or(true);
      } else if (std::ranges::find(kSources, entry.key) == kSources.end()) {
        std::vector<std::string> names(kSources.begin(), kSources.end());
        names.emplace_back("allow_empty");
        auto hint = did_you_mean(entry.key, names);
        diags_.error(entry.key_where, "unknown key '" + entry.key + "' in 'foreach'" + owner_,
                     hint.empty() ? "give one of " + source_list() : hint);
        result_.ok = false;
      } else if (source != nullptr) {
        diags_.error(entry.key_where,
                     "'foreach'" + owner_ + " has two sources, '" + source->key + "' and '" +
                         entry.key + "'",
                     "give exactly one of " + source_list());
        result_.ok = false;
      } else {
        source = &entry;
      }
    }
    if (source == nullptr) {
      if (result_.ok) {
        diags_.error(node.where, "'foreach'" + owner_ + " has no source",
                     "give one of " + source_list());
      }
      return failed();
    }
    if (!result_.ok) return failed();
    const auto& value = source->value;
    if (source->key == "items") read_items(value);
    if (source->key == "range") read_range(value);
    if (source->key == "matrix") read_matrix(value);
    if (source->key == "from_outputs") read_from_outputs(value);
    if (source->key == "files") read_files(value);
    return std::move(result_);
  }

 private:
  ReadFanOut failed() {
    result_.ok = false;
    return std::move(result_);
  }

  void read_items(const YamlNode& node) {
    result_.fanout.kind = FanOut::Kind::items;
    const auto what = "'items'" + owner_;
    if (!expect(node, YamlNode::Kind::list, what, diags_)) return fail();
    if (node.items.empty()) {
      diags_.error(node.where, what + " is empty", "a job with foreach needs at least one item");
      return fail();
    }
    const auto first_kind = node.items.front().kind == YamlNode::Kind::map ? YamlNode::Kind::map
                                                                           : YamlNode::Kind::scalar;
    for (const auto& element : node.items) {
      if (element.kind == YamlNode::Kind::list ||
          (element.kind == YamlNode::Kind::map) != (first_kind == YamlNode::Kind::map)) {
        diags_.error(element.where,
                     "an item" + owner_ + " must be " + std::string(describe(first_kind)) +
                         " like the first, not " + std::string(describe(element.kind)),
                     "items are all scalars or all maps of scalars");
        fail();
        continue;
      }
      if (element.kind == YamlNode::Kind::map) {
        read_map_item(element);
      } else if (element.unresolved) {
        fail();
      } else {
        note_source(element);
        result_.fanout.items.push_back({.value = element.text, .fields = {}});
      }
    }
    if (!result_.ok) return;
    const auto& items = result_.fanout.items;
    const auto count = items.size() <= kMaxSamples ? items.size() : 1;
    for (std::size_t i = 0; i < count; ++i) result_.samples.push_back({i, items[i]});
  }

  void read_map_item(const YamlNode& element) {
    Item item;
    for (const auto& entry : element.entries) {
      auto text = read_scalar(entry.value, "item field '" + entry.key + "'" + owner_, diags_);
      if (!text) {
        fail();
        continue;
      }
      note_source(entry.value);
      item.fields.insert_or_assign(entry.key, std::move(*text));
    }
    item.value = to_string(ParamValue(item.fields));
    result_.fanout.items.push_back(std::move(item));
  }

  void read_range(const YamlNode& node) {
    auto& fanout = result_.fanout;
    fanout.kind = FanOut::Kind::range;
    const auto owner = " in 'range'" + owner_;
    if (!expect(node, YamlNode::Kind::map, "'range'" + owner_, diags_)) return fail();
    check_keys(node, {"from", "to", "step"}, owner, diags_);
    const auto* from = require_key(node, "from", owner, diags_);
    const auto* to = require_key(node, "to", owner, diags_);
    std::optional<std::int64_t> from_value, to_value;
    // A plain integer and a flag: GCC 12 -O2 misreads an optional here (-Wmaybe-uninitialized).
    std::int64_t step_value = 1;
    bool step_ok = true;
    if (from) from_value = read_integer(*from, field("from", owner), diags_);
    if (to) to_value = read_integer(*to, field("to", owner), diags_);
    if (const auto* step = node.find("step")) {
      const auto read = read_integer(*step, field("step", owner), diags_);
      step_ok = read.has_value() && *read != 0;
      if (read && *read == 0) {
        diags_.error(step->where, field("step", owner) + " must not be 0" + written_as(*step),
                     "a negative step counts down");
      }
      if (step_ok) step_value = *read;
    }
    if (!from_value || !to_value || !step_ok) return fail();
    fanout.from = *from_value;
    fanout.to = *to_value;
    fanout.step = step_value;
    const auto count = *instance_count(fanout);
    if (count == 0) {
      diags_.warning(node.where, "'range'" + owner_ + " has no values",
                     fanout.step > 0 ? "it covers from <= i < to" : "it covers from >= i > to");
      return;
    }
    result_.samples.push_back({0, {.value = std::to_string(fanout.from), .fields = {}}});
    if (count > 1) {
      // Wrapping arithmetic in unsigned: the true result fits in 64 bits signed.
      const auto last =
          static_cast<std::int64_t>(static_cast<std::uint64_t>(fanout.from) +
                                    (count - 1) * static_cast<std::uint64_t>(fanout.step));
      result_.samples.push_back({count - 1, {.value = std::to_string(last), .fields = {}}});
    }
  }

  void read_matrix(const YamlNode& node) {
    auto& fanout = result_.fanout;
    fanout.kind = FanOut::Kind::matrix;
    const auto what = "'matrix'" + owner_;
    if (!expect(node, YamlNode::Kind::map, what, diags_)) return fail();
    if (node.entries.empty()) {
      diags_.error(node.where, what + " has no axes", "write it like { os: [x, y], n: [1, 2] }");
      return fail();
    }
    for (const auto& entry : node.entries) {
      const auto axis_what = "axis '" + entry.key + "' of 'matrix'" + owner_;
      YamlNode key_node{
          .kind = YamlNode::Kind::scalar, .text = entry.key, .where = entry.key_where};
      if (!read_name(key_node, "matrix axis", diags_)) fail();
      if (!expect(entry.value, YamlNode::Kind::list, axis_what, diags_)) {
        fail();
        continue;
      }
      if (entry.value.items.empty()) {
        diags_.error(entry.value.where, axis_what + " is empty");
        fail();
        continue;
      }
      FanOut::Axis axis{entry.key, {}};
      for (const auto& value : entry.value.items) {
        auto text = read_scalar(value, "a value of " + axis_what, diags_);
        note_source(value);
        if (text)
          axis.values.push_back(std::move(*text));
        else
          fail();
      }
      fanout.axes.push_back(std::move(axis));
    }
    if (!result_.ok) return;
    std::uint64_t combinations = 1;
    for (const auto& axis : fanout.axes) {
      if (__builtin_mul_overflow(combinations, axis.values.size(), &combinations)) {
        diags_.error(node.where,
                     what + " has more combinations than the " +
                         std::to_string(std::numeric_limits<std::uint64_t>::max()) +
                         " instances a job can have",
                     "a matrix makes every combination of its axes: fewer axes or values");
        return fail();
      }
    }
    Item first;
    for (const auto& axis : fanout.axes) first.fields.insert_or_assign(axis.name, axis.values[0]);
    first.value = to_string(ParamValue(first.fields));
    result_.samples.push_back({0, std::move(first)});
  }

  void read_from_outputs(const YamlNode& node) {
    result_.fanout.kind = FanOut::Kind::from_outputs;
    result_.values_known = false;
    const auto what = "'from_outputs'" + owner_;
    auto text = read_scalar(node, what, diags_);
    if (!text) return fail();
    const auto first_dot = text->find('.');
    const auto second_dot =
        first_dot == std::string::npos ? std::string::npos : text->find('.', first_dot + 1);
    if (second_dot == std::string::npos || first_dot == 0 || second_dot == first_dot + 1 ||
        second_dot + 1 == text->size()) {
      diags_.error(node.where, what + " must be 'stage.job.key', got " + quoted_value(node));
      return fail();
    }
    result_.fanout.reference = *text;
    result_.fanout.reference_where = node.where;
    result_.item_source = "the outputs '" + *text + "'";
    result_.samples.push_back({0, {.value = "", .fields = {}}});
  }

  void read_files(const YamlNode& node) {
    result_.fanout.kind = FanOut::Kind::files;
    result_.values_known = false;
    const auto what = "'files'" + owner_;
    auto pattern = read_scalar(node, what, diags_);
    if (!pattern) return fail();
    if (pattern->empty()) {
      diags_.error(node.where, what + " is empty" + written_as(node),
                   "write a glob like data/*.txt");
      return fail();
    }
    result_.item_source = "the file names of '" + *pattern + "'";
    std::filesystem::path path(*pattern);
    result_.fanout.pattern =
        path.is_absolute() ? *pattern : (context_.base_dir / path).lexically_normal().string();
    result_.samples.push_back(
        {0, {.value = "", .fields = {{"name", ""}, {"path", ""}, {"stem", ""}}}});
  }

  void fail() { result_.ok = false; }

  // An item value made with ${env.*} or a var from outside (--set): not the pipeline's own.
  void note_source(const YamlNode& scalar) {
    if (result_.item_source.empty() && !scalar.written.empty()) {
      result_.item_source = outside_source(scalar.written, context_.vars_from_outside);
    }
  }

  std::string owner_;
  LoadContext& context_;
  Diagnostics& diags_;
  ReadFanOut result_{};
};

}  // namespace

ReadFanOut read_foreach(const YamlNode& node, std::string_view owner, LoadContext& context) {
  return FanOutReader(owner, context).read(node);
}

}  // namespace lockstep::config
