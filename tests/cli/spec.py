"""The words the CLI cases (tests/cli/cases/*.py) are written in; harness.py lists and runs them.

A case runs `lockstep ARGS` and states its exit status and what it prints:

    case("unknown_command", "plgins", exit=2, stdout="",
         stderr_has=["'plgins' is not a command", "did you mean 'plugins'?"])

ARGS is a string split as a shell would (or a list). For each stream (stdout, stderr):
  stdout="..."            the whole stream, exactly ("" for nothing at all)
  stdout=regex(r"...")    the whole stream matches the regex
  stdout=expected_lines(PIPELINE)  exactly the lines of the pipeline's .expected file, in order
  stdout_has=[...]        each of these is in it (expected_lines(PIPELINE): each of its lines)
  stdout_lacks=[...]      none of these is in it
where each expectation is a plain str (a substring), line("...") (a whole line),
row("...") (a whole line of a table: two or more spaces stand for any run of spaces, @WALL@ for a
wall time such as 0.4ms, 12ms, 1.25s or 2m05s), regex(r"...") (a Python regex, searched for), or
first_line(...) / last_line(...) of one of those. A line or row that ends in "..." stands for any
line that starts with the rest.
In all of them and in args and env, {name} stands for a path or value of this build (the names of
PLACES below); {scratch} is a directory of the case's own, emptied before it runs and its working
directory. env= adds variables (LOCKSTEP_PLUGIN_PATH is unset unless a case sets it); needs= names
what the case needs beyond lockstep (NEEDS); check= takes functions of the Run that yield what is
wrong, for what the output alone cannot say (files written, JSON read).
"""
import inspect
import os
import pathlib
import re
import shlex

SOURCE = pathlib.Path(__file__).resolve().parents[2]   # the repository
PIPELINES = SOURCE / "tests" / "fixtures" / "pipelines"  # what {pipelines} stands for

# What {name} may stand for (harness.py fills them in).
PLACES = ("pipelines", "source", "test_plugins", "plugin_dir", "render_plugins", "version",
          "plugin_abi", "scratch", "asan_options", "tsan_options")
# What a case may need: the fixture plugins of tests/fixtures/plugins (when they are built),
# Graphviz's dot, a device on which every write fails,
# a build without sanitizers (an address-space limit cannot hold a sanitizer's shadow memory).
NEEDS = ("test_plugins", "dot", "/dev/full", "uninstrumented", "memory_cgroup")

WALL = r"[0-9][0-9.hms]*"
_PLACE = re.compile(r"\{(" + "|".join(PLACES) + r")\}")

CASES = []


def fill(text, places, quote=lambda value: value):
    """`text` with each {name} of `places` replaced by its value (through `quote`)."""
    return _PLACE.sub(lambda m: quote(str(places[m.group(1)])) if m.group(1) in places
                      else m.group(0), text)


class Expectation:
    """Something a stream must (or must not) hold; found by a regex once places are filled in."""

    def pattern(self, places):
        raise NotImplementedError

    def found(self, text, places):
        return re.search(self.pattern(places), text) is not None


class Substring(Expectation):
    def __init__(self, text):
        self.text = text

    def pattern(self, places):
        return re.escape(fill(self.text, places))

    def __str__(self):
        return repr(self.text)


class Regex(Expectation):
    def __init__(self, source):
        self.source = source

    def pattern(self, places):
        return fill(self.source, places, re.escape)

    def line_pattern(self, places):
        return self.pattern(places)

    def __str__(self):
        return "regex r'" + self.source.replace("\n", "\\n") + "'"


class Line(Expectation):
    """A whole line, literally; with `columns`, a row of a table (see the module's comment). Text
    that ends in "..." stands for any line that starts with the rest."""

    def __init__(self, text, columns=False):
        self.text, self.columns = text, columns
        self.prefix = text.endswith("...")

    def line_pattern(self, places):
        text = fill(self.text[:-3] if self.prefix else self.text, places)
        if self.columns:
            indent = re.match(r" *", text).group(0)
            cells = re.split(r"  +", text[len(indent):])
            body = indent + " +".join(re.escape(cell).replace("@WALL@", WALL) for cell in cells)
        else:
            body = re.escape(text)
        return body + (r"[^\n]*" if self.prefix else "")

    def pattern(self, places):
        return r"(?m)^" + self.line_pattern(places) + r"$"

    def __str__(self):
        return f"{'row' if self.columns else 'line'} {self.text!r}"


class Anchored(Expectation):
    """The first or the last line of a stream (the last one ends with a newline)."""

    def __init__(self, inner, last):
        self.inner, self.last = as_line(inner), last

    def pattern(self, places):
        body = self.inner.line_pattern(places)
        return body + r"\n\Z" if self.last else r"\A" + body + r"(?:\n|\Z)"

    def __str__(self):
        return f"{'last' if self.last else 'first'} line: {self.inner}"


def regex(source):
    return Regex(source)


def line(text):
    return Line(text)


def row(text):
    return Line(text, columns=True)


def first_line(expected):
    return Anchored(expected, last=False)


def last_line(expected):
    return Anchored(expected, last=True)


def as_expectation(item):
    return Substring(item) if isinstance(item, str) else item


def as_list(items):
    return [items] if isinstance(items, (str, Expectation, ExpectedLines)) else list(items)


def as_line(item):
    return Line(item) if isinstance(item, str) else item


def expected_lines(pipeline):
    """The lines of PIPELINE's sibling .expected file (tests/fixtures/pipelines/README.md):
    @FILE@ is the pipeline's path as given, @DIR@ its directory, and a line ending in "..." stands
    for any line that starts with the rest. `pipeline` may hold {places}: the file is read when the
    case is checked."""
    return ExpectedLines(pipeline)


class ExpectedLines:
    def __init__(self, pipeline):
        self.pipeline = pipeline

    def lines(self, places):
        pipeline = fill(self.pipeline, places)
        expected = re.sub(r"\.yaml$", ".expected", pipeline)
        with open(expected, encoding="utf-8") as file:
            text = file.read()
        text = text.replace("@FILE@", pipeline).replace("@DIR@", os.path.dirname(pipeline))
        return [Line(l) for l in text.splitlines()]

    def __str__(self):
        return f"the lines of {re.sub(r'[.]yaml$', '.expected', self.pipeline)}"


class Case:
    def __init__(self, name, args, exit, where, env=None, needs=(), check=(), **streams):
        for need in needs:
            if need not in NEEDS:
                raise ValueError(f"{where}: case {name}: needs {need!r}, not one of {NEEDS}")
        self.name, self.exit, self.where = name, exit, where
        self.given_args = args
        self.env = dict(env or {})
        self.needs = tuple(needs)
        self.checks = list(check) if isinstance(check, (list, tuple)) else [check]
        self.exact, self.has, self.lacks = {}, {}, {}
        for stream in ("stdout", "stderr"):
            if streams.get(stream) is not None:
                self.exact[stream] = streams.pop(stream)
            for kind, into in (("has", self.has), ("lacks", self.lacks)):
                into[stream] = [as_expectation(x)
                                for x in as_list(streams.pop(f"{stream}_{kind}", ()))]
        if streams:
            raise TypeError(f"{where}: case {name}: unknown keywords {sorted(streams)}")

    @property
    def args(self):
        """The arguments, split as a shell would; only for the case that runs (shlex is slow)."""
        return shlex.split(self.given_args) if isinstance(self.given_args, str) \
            else list(self.given_args)


def case(name, args, *, exit, **rest):
    """Declares a case (see the module's comment); its name becomes the ctest test cli.NAME."""
    caller = inspect.currentframe().f_back
    where = f"{os.path.relpath(caller.f_code.co_filename, SOURCE)}:{caller.f_lineno}"
    CASES.append(Case(name, args, exit, where, **rest))


# ---- checks that go beyond the output -----------------------------------------------------------

def file_holds(path, content):
    """The run wrote `content`, exactly, to `path`."""
    def check(run):
        file = run.path(path)
        if not file.exists():
            yield f"the run did not write {file}"
        elif (actual := file.read_text(encoding="utf-8")) != content:
            yield f"{file} holds {actual!r}, expected {content!r}"
    check.__doc__ = f"{path} holds {content!r}"
    return check


def no_file(path):
    """Nothing wrote `path` (a job that must not have run)."""
    def check(run):
        if run.path(path).exists():
            yield f"{run.path(path)} exists: something wrote it"
    check.__doc__ = f"{path} does not exist"
    return check
