// The Catch2 v2 runner of the stage-kind tests; the tests live in the other files here.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
