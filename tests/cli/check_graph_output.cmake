# tests/cli/check_graph_output.cmake — included by expect.cmake for `lockstep graph X.yaml`:
# stdout is exactly the lines of the sibling X.expected (see expected_lines.cmake), in order.
# Inputs: ARGS, `out`; reports through fail().

include("${CMAKE_CURRENT_LIST_DIR}/expected_lines.cmake")
pipeline_argument(pipeline)
string(REGEX REPLACE "\\.yaml$" ".expected" expected_file "${pipeline}")
expected_lines(EXACT "${out}" "${expected_file}" "${pipeline}")
