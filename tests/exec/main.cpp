// The Catch2 v2 runner of the engine (exec) tests; the tests live in the other files here.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
