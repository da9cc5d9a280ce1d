// The HTML page of a run: PageData as JSON inside the template of report/html, with its styles
// and scripts, in one file that needs nothing else to open.
//
//   write_html_page(data, out);
//
// The data is a <script type="application/json"> element that the page's scripts read; what it
// holds is described by page.js, which reads it. Every '<' in it is written \u003c, so that no
// text of a job (a message, a log line) can end the element or start markup.
#pragma once

#include <iosfwd>

#include "report/page_data.hpp"

namespace lockstep::report {

void write_html_page(const PageData& data, std::ostream& out);

}  // namespace lockstep::report
