// tools/cli/file_url.hpp — a file as a file:// URL, which terminals turn into a link.
//
//   std::cerr << "page: " << file_url("out/run 1.html") << "\n";  //
//   file:///home/me/out/run%201.html
#pragma once

#include <filesystem>
#include <string>

namespace lockstep::cli {

// The absolute path, each byte other than letters, digits, '/', '-', '.', '_' and '~' written %XX.
std::string file_url(const std::filesystem::path& path);

}  // namespace lockstep::cli
