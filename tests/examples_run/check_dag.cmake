# configs/examples/dag: branch 1 (words, vocabulary) wrote the word count's words.tsv, branch 2
# (lines) a .lines file per text, and summary.tsv, written once both had ended, is byte for byte
# expected-summary.tsv. The summary lists the four stages, each with its instances.

cmake_path(ABSOLUTE_PATH PIPELINE BASE_DIRECTORY "${RUN_DIR}" OUTPUT_VARIABLE pipeline_file)
cmake_path(GET pipeline_file PARENT_PATH example_dir)
foreach(text IN ITEMS clock lighthouse orchard river)
  if(NOT EXISTS "${WORK}/counts/${text}.counts")
    fail("the words stage did not write counts/${text}.counts")
  endif()
  if(NOT EXISTS "${WORK}/lines/${text}.lines")
    fail("the lines stage did not write lines/${text}.lines")
  endif()
endforeach()

foreach(pair IN ITEMS "words.tsv|../wordcount/expected.tsv" "summary.tsv|expected-summary.tsv")
  string(REPLACE "|" ";" pair "${pair}")
  list(GET pair 0 result)
  list(GET pair 1 expected)
  if(NOT EXISTS "${WORK}/${result}")
    fail("the run did not write ${WORK}/${result}")
    continue()
  endif()
  execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${WORK}/${result}"
                          "${example_dir}/${expected}"
                  RESULT_VARIABLE different)
  if(different)
    file(READ "${WORK}/${result}" written)
    fail("${result} differs from configs/examples/dag/${expected}:\n${written}")
  endif()
endforeach()

expect_summary(words succeeded "4 succeeded")
expect_summary(vocabulary succeeded "1 succeeded")
expect_summary(lines succeeded "4 succeeded")
expect_summary(summary succeeded "1 succeeded")
expect_summary(total succeeded "10 succeeded")
