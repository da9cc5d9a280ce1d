"""`lockstep run --html FILE`: the run's page, written whole (to a file beside FILE, renamed over
it) after the run, failed runs too, its path the last line of stderr; a FILE that cannot be
written stops the run before any job, and one whose write fails is an error. What the page shows
is checked in a browser (tests/browser); the page's link on a terminal by check_page_link.py."""
import re

from spec import case, last_line, no_file, row

# Scripts, styles and data inline: no element loads anything from elsewhere.
FETCHES = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=""", re.I)


def page_written(path, instances, status):
    """`path` is a whole page of a run of `instances` instances that ended `status`, loading
    nothing from elsewhere, and no temporary file was left beside it."""
    def check(run):
        page = run.path(path)
        if not page.exists():
            yield f"the run did not write {page}"
            return
        html = page.read_text(encoding="utf-8")
        if not html.startswith("<!doctype html>") or not html.rstrip().endswith("</html>"):
            yield f"{page} is not a whole page"
        if FETCHES.search(html):
            yield f"{page} loads something: {FETCHES.search(html).group(0)}"
        for fact in (f'"instances":{instances},', f'"status":"{status}"'):
            if fact not in html:
                yield f"{page} does not hold {fact}"
        if leftovers := [p.name for p in page.parent.iterdir() if p.name.endswith(".tmp")]:
            yield f"temporary files left beside the page: {leftovers}"
    check.__doc__ = f"{path} is the page of {instances} instances, {status}"
    return check


case("run_html", "run {pipelines}/cli/tiny.yaml --html {scratch}/page.html --progress=never",
     exit=0, stdout="", stderr_has=[row("total  succeeded  @WALL@  10 succeeded"),
                                    last_line("page: {scratch}/page.html")],
     check=page_written("{scratch}/page.html", 10, "succeeded"))
# A failed run has a page too: it shows what went wrong.
case("run_html_failed_run", "run {pipelines}/cli/fails.yaml --html {scratch}/page.html",
     exit=1, stdout="", stderr_has=last_line("page: {scratch}/page.html"),
     check=page_written("{scratch}/page.html", 5, "failed"))

# A page that cannot be written stops the run before any job: a missing directory, a directory.
case("run_html_unwritable",
     "run {pipelines}/cli/marker.yaml --set vars.marker={scratch}/never.txt"
     " --html {scratch}/no-such-dir/page.html", exit=2, stdout="",
     stderr="lockstep: cannot write page '{scratch}/no-such-dir/page.html': "
            "No such file or directory\n",
     check=no_file("{scratch}/never.txt"))
case("run_html_is_a_directory",
     "run {pipelines}/cli/marker.yaml --set vars.marker={scratch}/never.txt --html {scratch}",
     exit=2, stdout="", stderr="lockstep: cannot write page '{scratch}': Is a directory\n",
     check=no_file("{scratch}/never.txt"))
# One whose write fails makes a successful run's status 2.
case("run_html_write_fails", "run {pipelines}/cli/tiny.yaml --html /dev/full", exit=2, stdout="",
     needs=["/dev/full"],
     stderr_has=[row("total  succeeded..."),
                 last_line("lockstep: cannot write page '/dev/full': No space left on device")])
