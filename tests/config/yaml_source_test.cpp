// The positioned YAML tree: 1-based positions, the quoted flag, duplicate keys (which yaml-cpp
// accepts silently), syntax errors, and the exact column of a mistake inside a scalar.
#include <catch2/catch.hpp>

#include "config/yaml_source.hpp"

namespace lockstep::test {
namespace {

using config::parse_yaml;
using config::position_in;
using config::YamlNode;

YamlNode parse_ok(std::string_view text, Diagnostics& diagnostics) {
  auto node = parse_yaml(text, "t.yaml", diagnostics);
  INFO(diagnostics.to_string());
  REQUIRE(node.has_value());
  return *node;
}

TEST_CASE("positions of keys and values are 1-based") {
  Diagnostics diagnostics;
  auto root = parse_ok("a: 1\nlist:\n  - x\n  - {k: v}\n", diagnostics);
  REQUIRE(root.is_map());
  REQUIRE(root.entries.size() == 2);
  CHECK(root.entries[0].key_where.line == 1);
  CHECK(root.entries[0].key_where.column == 1);
  CHECK(root.entries[0].value.where.column == 4);
  const auto& list = root.entries[1].value;
  REQUIRE(list.is_list());
  CHECK(list.items[0].where.line == 3);
  CHECK(list.items[0].where.column == 5);
  const auto& map = list.items[1];
  REQUIRE(map.is_map());
  CHECK(map.entries[0].key_where.line == 4);
  CHECK(map.entries[0].key_where.column == 6);
  CHECK(map.entries[0].value.where.column == 9);
  CHECK(diagnostics.all().empty());
}

TEST_CASE("quoted, block and tagged scalars are marked quoted") {
  Diagnostics diagnostics;
  auto root = parse_ok("a: 1\nb: \"1\"\nc: '1'\nd: |\n  1\ne: !!str 1\n", diagnostics);
  CHECK_FALSE(root.find("a")->quoted);
  CHECK(root.find("b")->quoted);
  CHECK(root.find("c")->quoted);
  CHECK(root.find("d")->quoted);
  CHECK(root.find("e")->quoted);
}

TEST_CASE("null values and empty values are null") {
  Diagnostics diagnostics;
  auto root = parse_ok("a: ~\nb:\nc: null\nd: \"\"\n", diagnostics);
  CHECK(root.find("a")->is_null());
  CHECK(root.find("b")->is_null());
  CHECK(root.find("b")->where.line == 2);  // not the next line, where yaml-cpp puts it
  CHECK(root.find("c")->is_null());
  CHECK(root.find("d")->is_scalar());
}

TEST_CASE("a duplicate key is an error at the second, pointing at the first") {
  Diagnostics diagnostics;
  auto root = parse_ok("a: 1\nb: {x: 1, x: 2}\na: 3\n", diagnostics);
  REQUIRE(diagnostics.error_count() == 2);
  CHECK(format(diagnostics.all()[0]) ==
        "t.yaml:2:11: error: duplicate key 'x' (first defined at 2:5)");
  CHECK(format(diagnostics.all()[1]) ==
        "t.yaml:3:1: error: duplicate key 'a' (first defined at 1:1)");
  // The first one is kept.
  CHECK(root.find("a")->text == "1");
  CHECK(root.entries.size() == 2);
  CHECK(root.find("b")->entries.size() == 1);
}

TEST_CASE("a syntax error is positioned") {
  Diagnostics diagnostics;
  auto root = parse_yaml("a: [1, 2\nb: 3\n", "t.yaml", diagnostics);
  CHECK_FALSE(root.has_value());
  REQUIRE(diagnostics.error_count() == 1);
  CHECK(format(diagnostics.all()[0]) ==
        "t.yaml:2:2: error: invalid YAML: end of sequence flow not found");
}

TEST_CASE("a key that is not a scalar is an error") {
  Diagnostics diagnostics;
  parse_ok("? [a, b]\n: 1\n", diagnostics);
  REQUIRE(diagnostics.error_count() == 1);
  CHECK(diagnostics.all()[0].message == "a key must be a scalar, not a list");
}

TEST_CASE("positions inside a scalar are exact when its text is verbatim on one line") {
  Diagnostics diagnostics;
  auto root = parse_ok(
      "plain: ab ${x}\n"
      "double: \"ab ${x}\"\n"
      "single: 'ab ${x}'\n"
      "escaped: \"a\\tb ${x}\"\n"
      "folded: >\n  ab ${x}\n",
      diagnostics);
  auto column = [&](const char* key) { return position_in(*root.find(key), 3).column; };
  CHECK(column("plain") == 11);
  CHECK(column("double") == 13);
  CHECK(column("single") == 13);
  CHECK(column("escaped") == 10);  // not verbatim: the scalar's start
  CHECK(column("folded") == 9);
}

TEST_CASE("positions inside a literal block are exact, line and column") {
  Diagnostics diagnostics;
  auto root = parse_ok(
      "shell: |\n"
      "    echo one\n"
      "\n"
      "    echo ${x} two\n"
      "tabbed: |\n"
      "  \ta tab after the indentation is text\n",
      diagnostics);
  const auto& shell = *root.find("shell");
  const auto at = shell.text.find("${x}");
  CHECK(position_in(shell, at).line == 4);
  CHECK(position_in(shell, at).column == 10);
  CHECK(position_in(shell, 0).line == 2);
  CHECK(position_in(shell, 0).column == 5);
  const auto& tabbed = *root.find("tabbed");
  CHECK(position_in(tabbed, 3).line == 6);
  CHECK(position_in(tabbed, 3).column == 6);
}

TEST_CASE("aliases that expand without end are an error, not a hang") {
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    auto previous = "*a" + std::to_string(i - 1);
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + previous;
    for (int j = 1; j < 10; ++j) text += ", " + previous;
    text += "]\n";
  }
  Diagnostics diagnostics;
  CHECK_FALSE(parse_yaml(text, "t.yaml", diagnostics).has_value());
  REQUIRE(diagnostics.error_count() == 1);
  const auto& error = diagnostics.all()[0];
  CHECK(error.message == "this alias expands the document past 250000 values");
  CHECK(error.where.line == 6);  // the aliases that crossed the line, not an anchor
  CHECK(error.hint ==
        "an alias (*name) copies what its anchor names: are aliases repeating a large part of the "
        "document?");
}

TEST_CASE("aliases of one large scalar are bounded in bytes, at the alias") {
  // 100 KB of text and 400 aliases of it: 40 MB once copied, from a file of 102 KB.
  std::string text = "big: &big " + std::string(100'000, 'x') + "\nlist:\n";
  for (int i = 0; i < 400; ++i) text += "  - *big\n";
  Diagnostics diagnostics;
  CHECK_FALSE(parse_yaml(text, "t.yaml", diagnostics).has_value());
  REQUIRE(diagnostics.error_count() == 1);
  const auto& error = diagnostics.all()[0];
  CHECK(error.message == "this alias expands the document past 32 MiB of text");
  CHECK(error.where.line == 2 + 335);  // 334 copies fit in 32 MiB beside the anchor's own
  CHECK(error.where.column == 5);
}

TEST_CASE("nesting, a second document and a NUL byte are errors where they are") {
  Diagnostics deep;
  CHECK_FALSE(parse_yaml(std::string(70, '[') + std::string(70, ']'), "t.yaml", deep));
  CHECK(deep.to_string() ==
        "t.yaml:1:65: error: the document nests deeper than 64 levels (a pipeline needs a "
        "handful of levels)\n");
  Diagnostics second;
  CHECK_FALSE(parse_yaml("version: 1\n---\nversion: 2\n", "t.yaml", second));
  CHECK(second.to_string() ==
        "t.yaml:2:1: error: a second YAML document starts here (a pipeline file holds one "
        "document: remove the '---' and what follows, or make them a file of their own)\n");
  Diagnostics nul;
  CHECK_FALSE(parse_yaml(std::string("version: 1\nname: a\0b\n", 21), "t.yaml", nul));
  CHECK(nul.to_string() ==
        "t.yaml:2:8: error: a NUL byte: a pipeline is text (is this a binary file, or text saved "
        "as UTF-16?)\n");
  // One document, ended with "..." or begun with "---", is fine.
  Diagnostics fine;
  CHECK(parse_yaml("---\nversion: 1\n...\n", "t.yaml", fine).has_value());
  CHECK(fine.all().empty());
}

}  // namespace
}  // namespace lockstep::test
