// InstanceId: the one text form of an instance's id, and its parser.
#include <catch2/catch.hpp>

#include <string>

#include <lockstep/pipeline/instance_id.hpp>

using lockstep::InstanceId;
using lockstep::parse_instance_id;

TEST_CASE("an instance id shows iteration and index only when there are some") {
  CHECK(to_string(InstanceId{.stage = "scan", .job = "hash"}) == "scan/hash");
  CHECK(to_string(InstanceId{.stage = "scan", .job = "hash", .index = 0}) == "scan/hash[0]");
  CHECK(to_string(InstanceId{.stage = "scan", .iteration = 2, .job = "hash"}) == "scan@2/hash");
  CHECK(to_string(InstanceId{.stage = "s-1", .iteration = 10, .job = "j_2", .index = 12345}) ==
        "s-1@10/j_2[12345]");
}

TEST_CASE("an instance id parses back to what it was made of") {
  const InstanceId ids[] = {
      {.stage = "scan", .job = "hash"},
      {.stage = "scan", .job = "hash", .index = 7},
      {.stage = "scan", .iteration = 3, .job = "hash"},
      {.stage = "scan", .iteration = 1, .job = "hash", .index = 18446744073709551615u},
  };
  for (const auto& id : ids) {
    const std::string text = to_string(id);
    INFO(text);
    const auto back = parse_instance_id(text);
    REQUIRE(back);
    CHECK(*back == id);
  }
}

TEST_CASE("text that is not an instance id does not parse") {
  for (const char* text : {"", "scan", "/hash", "scan/", "a/b/c", "scan@/hash", "scan@0/hash",
                           "scan@x/hash", "scan/hash[", "scan/hash[]", "scan/hash[x]",
                           "scan/hash[-1]", "scan/ha]sh", "s@1@2/j", "scan/hash[1][2]",
                           "scan/hash[99999999999999999999]"}) {
    INFO(text);
    CHECK_FALSE(parse_instance_id(text));
  }
}

TEST_CASE("a stage label names the iteration of a repeated stage") {
  CHECK(lockstep::stage_label("scan", 0) == "scan");
  CHECK(lockstep::stage_label("scan", 1) == "scan@1");
  CHECK(lockstep::stage_label("scan", 12) == "scan@12");
}
