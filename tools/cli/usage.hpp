// tools/cli/usage.hpp — the parts of `lockstep`'s command line that are not a command: the top
// App (--help with the exit codes, --version) and what a usage mistake prints.
//
//   CLI::App app = ...; configure_app(app);
//   try { app.parse(argc, argv); }
//   catch (const CLI::ParseError& e) { return report_parse_error(app, e); }
#pragma once

#include <string>

namespace CLI {
class App;
class ParseError;
}  // namespace CLI

namespace lockstep::cli {

// "lockstep 0.2.0 (plugin ABI 2)"
std::string version_text();

// Description, --version, and a footer listing the exit codes.
void configure_app(CLI::App& app);

// Help and version go to stdout with status 0. Any other mistake goes to stderr as CLI11 words
// it, with a did-you-mean for an unknown command or option where one is close, and a pointer to
// --help; the status is then kExitError.
int report_parse_error(const CLI::App& app, const CLI::ParseError& error);

}  // namespace lockstep::cli
