# configs/examples/quickstart: every message is logged, `goodbye` only after the whole `hello`
# stage (the barrier), the summary counts 4 + 1 instances, and the run wrote nothing where it ran.

set(hello_lines
  "[hello/greet] info: hello, world"
  "[hello/fruit[0]] info: fruit #0: apple"
  "[hello/fruit[1]] info: fruit #1: banana"
  "[hello/fruit[2]] info: fruit #2: cherry")
set(goodbye_line "[goodbye/bye] info: goodbye, world")

string(FIND "${err}" "${goodbye_line}\n" goodbye_at)
if(goodbye_at EQUAL -1)
  fail("no log line '${goodbye_line}'")
endif()
foreach(line IN LISTS hello_lines)
  string(FIND "${err}" "${line}\n" at)
  if(at EQUAL -1)
    fail("no log line '${line}'")
  elseif(goodbye_at GREATER -1 AND at GREATER goodbye_at)
    fail("'${line}' was logged after '${goodbye_line}': the next stage started before the barrier")
  endif()
endforeach()

expect_summary(hello succeeded "4 succeeded")
expect_summary(goodbye succeeded "1 succeeded")
expect_summary(total succeeded "5 succeeded")

file(GLOB_RECURSE written RELATIVE "${RUN_DIR}" "${RUN_DIR}/*")
if(written)
  list(JOIN written ", " written)
  fail("quickstart must write nothing, but these appeared where it ran: ${written}")
endif()
