# tests/cli/check_graph_dot.cmake — included by expect.cmake for `lockstep graph`: Graphviz's
# `dot` reads stdout without an error or a warning. Only registered when `dot` is installed.
# Inputs: `out` (stdout); reports through fail().

find_program(dot_program dot)
if(NOT dot_program)
  fail("dot is not installed (it was when the tests were configured)")
  return()
endif()
set(graph_file "${CMAKE_CURRENT_BINARY_DIR}/check_graph_dot.gv")
file(WRITE "${graph_file}" "${out}")
execute_process(
  COMMAND "${dot_program}" -Tsvg
  INPUT_FILE "${graph_file}"
  RESULT_VARIABLE dot_status
  OUTPUT_VARIABLE dot_out
  ERROR_VARIABLE dot_err
  TIMEOUT 60)
if(NOT dot_status EQUAL 0 OR NOT dot_err STREQUAL "")
  fail("dot -Tsvg does not accept the graph (status ${dot_status}): ${dot_err}")
elseif(NOT dot_out MATCHES "<svg")
  fail("dot -Tsvg printed no SVG")
endif()
