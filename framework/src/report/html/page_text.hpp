// The HTML page's template, styles and scripts (the files of this directory), compiled into the
// library by cmake/embed_text.cmake: a page needs no file at run time.
#pragma once

#include <string_view>

namespace lockstep::report::page_text {

extern const std::string_view html;         // page.html: the template
extern const std::string_view css;          // page.css
extern const std::string_view charts_js;    // charts.js: histograms and charts over time, as SVG
extern const std::string_view timeline_js;  // timeline.js: the attempts on a canvas
extern const std::string_view graph_js;     // graph.js: the stage graph, as SVG
extern const std::string_view page_js;      // page.js: reads the data, builds every section

}  // namespace lockstep::report::page_text
