# tests/cli/check_expected_lines.cmake — included by expect.cmake for `lockstep validate X.yaml`:
# every line of the sibling X.expected (see expected_lines.cmake) is a line of stderr, which may
# say more (such as the count of errors). Inputs: ARGS, `err`; reports through fail().

include("${CMAKE_CURRENT_LIST_DIR}/expected_lines.cmake")
pipeline_argument(pipeline)
string(REGEX REPLACE "\\.yaml$" ".expected" expected_file "${pipeline}")
expected_lines(CONTAINS "${err}" "${expected_file}" "${pipeline}")
