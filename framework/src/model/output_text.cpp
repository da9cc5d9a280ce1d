#include "lockstep/pipeline/output_text.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <vector>

namespace lockstep::inline LOCKSTEP_ABI {

namespace {

// Every form a secret is written in, longest first (one form may contain another).
struct SecretForms {
  std::vector<std::string> forms;
};

std::mutex registry_mutex;
std::shared_ptr<const SecretForms> registry;  // replaced whole, under the mutex
std::atomic<bool> any_secret{false};

std::shared_ptr<const SecretForms> secret_forms() {
  std::lock_guard lock(registry_mutex);
  return registry;
}

std::string hex_escape(unsigned char c) {
  char text[5];
  std::snprintf(text, sizeof text, "\\x%02x", c);
  return text;
}

// As shell code quotes it inside '...' and inside "..." (config/shell_quote).
std::string single_quoted(std::string_view value) {
  std::string text;
  for (char c : value) text += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return text;
}
std::string double_quoted(std::string_view value) {
  std::string text;
  for (char c : value) {
    if (c == '\\' || c == '"' || c == '$' || c == '`') text += '\\';
    text += c;
  }
  return text;
}

// As a JSON string holds it (nlohmann::json's dump: the run.log, reports, traces).
std::string json_escaped(std::string_view value) {
  std::string text;
  for (unsigned char c : value) {
    switch (c) {
      case '"':
        text += "\\\"";
        break;
      case '\\':
        text += "\\\\";
        break;
      case '\b':
        text += "\\b";
        break;
      case '\f':
        text += "\\f";
        break;
      case '\n':
        text += "\\n";
        break;
      case '\r':
        text += "\\r";
        break;
      case '\t':
        text += "\\t";
        break;
      default:
        if (c < 0x20) {
          char escape[7];
          std::snprintf(escape, sizeof escape, "\\u%04x", c);
          text += escape;
        } else {
          text += static_cast<char>(c);
        }
    }
  }
  return text;
}

// The length of the UTF-8 sequence starting at text[i], or 0 when it is not one.
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  const std::size_t length = lead < 0x80                   ? 1
                             : lead >= 0xc2 && lead < 0xe0 ? 2
                             : lead >= 0xe0 && lead < 0xf0 ? 3
                             : lead >= 0xf0 && lead < 0xf5 ? 4
                                                           : 0;
  if (length == 0 || i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return 0;
  }
  return length;
}

std::string escape_controls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const auto length = utf8_length(text, i);
    if (length == 0) {  // not UTF-8: a terminal in another encoding could read it as a control
      out += hex_escape(c);
      ++i;
    } else if (length == 2 && c == 0xc2 && static_cast<unsigned char>(text[i + 1]) < 0xa0) {
      char escape[7];  // C1 controls, U+0080 to U+009F: CSI (U+009B) starts an escape sequence
      std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned char>(text[i + 1]));
      out += escape;
      i += 2;
    } else if (length == 1 && (c < 0x20 || c == 0x7f) && c != '\t') {
      out += c == '\n' ? std::string("\\n") : c == '\r' ? std::string("\\r") : hex_escape(c);
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

}  // namespace

bool register_secret(std::string_view value) {
  if (value.size() < kMinSecretLength) return false;
  std::lock_guard lock(registry_mutex);
  auto forms = std::make_shared<SecretForms>(registry ? *registry : SecretForms{});
  // As written in shell code, then as a JSON string or a terminal shows each of those.
  for (const auto& shell : {std::string(value), single_quoted(value), double_quoted(value)}) {
    for (auto form : {shell, json_escaped(shell), escape_controls(shell)}) {
      if (std::ranges::find(forms->forms, form) == forms->forms.end()) {
        forms->forms.push_back(std::move(form));
      }
    }
  }
  std::ranges::stable_sort(forms->forms, std::ranges::greater{}, &std::string::size);
  registry = std::move(forms);
  any_secret.store(true, std::memory_order_release);
  return true;
}

std::string mask_secrets(std::string_view text) {
  if (!any_secret.load(std::memory_order_acquire)) return std::string(text);
  const auto secrets = secret_forms();
  std::string out;
  std::size_t from = 0;
  for (;;) {
    // The earliest copy of any form; of those starting there, the longest.
    std::size_t at = std::string_view::npos;
    std::size_t length = 0;
    for (const auto& form : secrets->forms) {
      const auto found = text.find(form, from);
      if (found < at || (found == at && found != std::string_view::npos && form.size() > length)) {
        at = found;
        length = form.size();
      }
    }
    if (at == std::string_view::npos) break;
    out.append(text.substr(from, at - from));
    out += kSecretMask;
    from = at + length;
  }
  if (from == 0) return std::string(text);
  out.append(text.substr(from));
  return out;
}

std::string for_terminal(std::string_view text) { return escape_controls(mask_secrets(text)); }

}  // namespace lockstep
