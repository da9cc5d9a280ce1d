// The Catch2 v2 runner of the model tests; the tests live in the other files of this directory.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
