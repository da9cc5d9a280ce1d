#include "report/resume_keys.hpp"

#include <boost/crc.hpp>
#include <cstdio>

#include "run/instance_source.hpp"

namespace lockstep::report {
namespace {

std::string raw_text(const RawValue& value) {
  switch (value.kind) {
    case RawValue::Kind::scalar:
      return value.text;
    case RawValue::Kind::list: {
      std::string text = "[";
      for (std::size_t i = 0; i < value.items.size(); ++i) {
        text += (i == 0 ? "" : ", ") + raw_text(value.items[i]);
      }
      return text + "]";
    }
    case RawValue::Kind::map: {
      std::string text = "{";
      for (std::size_t i = 0; i < value.entries.size(); ++i) {
        text +=
            (i == 0 ? "" : ", ") + value.entries[i].key + ": " + raw_text(value.entries[i].value);
      }
      return text + "}";
    }
  }
  return {};
}

// Appends `text` with its length first, so that no two different sequences hash alike by
// moving a boundary.
void append_field(std::string& out, std::string_view text) {
  out += std::to_string(text.size());
  out += ':';
  out += text;
}

}  // namespace

std::string hash_text(std::string_view bytes) {
  boost::crc_optimal<64, 0x42F0E1EBA9EA3693ULL, 0, 0, false, false> crc;
  crc.process_bytes(bytes.data(), bytes.size());
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(crc.checksum()));
  return text;
}

std::map<std::string, std::string> param_texts(const JobSpec& job) {
  std::map<std::string, std::string> texts;
  for (const auto& [name, value] : job.params.all()) texts[name] = to_string(value);
  for (const auto& param : job.templates) texts[param.name] = raw_text(param.value);
  return texts;
}

std::string params_key(const JobSpec& job) {
  std::string text;
  for (const auto& [name, value] : param_texts(job)) {
    append_field(text, name);
    append_field(text, value);
  }
  return hash_text(text);
}

ItemsKey items_key(const JobSpec& job, const Outputs& outputs) {
  const auto& fan_out = job.foreach;
  const run::InstanceSource source(fan_out, outputs);
  ItemsKey key{{}, source.size()};
  if (fan_out.kind == FanOut::Kind::from_outputs) return key;
  std::string text;
  switch (fan_out.kind) {
    case FanOut::Kind::range:  // ten million instances: the bounds say it all
      text = "range " + std::to_string(fan_out.from) + " " + std::to_string(fan_out.to) + " " +
             std::to_string(fan_out.step);
      break;
    case FanOut::Kind::matrix:  // the product of the axes, however large
      text = "matrix ";
      for (const auto& axis : fan_out.axes) {
        append_field(text, axis.name);
        for (const auto& value : axis.values) append_field(text, value);
        text += ';';
      }
      break;
    case FanOut::Kind::none:
      text = "none";
      break;
    default:  // items, files: what the source found
      text = "items ";
      for (std::uint64_t i = 0; i < source.size(); ++i) {
        const auto item = source.item(i);
        append_field(text, item.value);
        for (const auto& [name, value] : item.fields) {
          append_field(text, name);
          append_field(text, value);
        }
        text += ';';
      }
      break;
  }
  key.hash = hash_text(text);
  return key;
}

}  // namespace lockstep::report
