"""`lockstep plugins`: what it lists, as text and as JSON; one job type or stage kind; plugins found
by name, by path and through each search place; and every broken plugin (exit status 2, nothing
on stdout, the file and the cause on stderr)."""
import json

from spec import case, first_line, line, regex, row

case("plugins", "plugins", exit=0, stderr="",
     stdout_has=[first_line(regex(r"core [0-9]+\.[0-9]+\.[0-9]+  "
                                  r"\(built against lockstep {version}\)")),
                 regex(r"(?m)^  /.*/lockstep-core\.so$"),
                 line("  core.sleep  Waits..."), line("  core.command  Runs..."),
                 row("      duration  duration  required...")])


def plugins_json(run):
    """stdout is one JSON document: this build's versions, plugin core with its job types."""
    document = json.loads(run.stdout)  # one document and nothing else, or it raises
    if not (run.stdout.startswith("{\n") and run.stdout.endswith("\n}\n")) or "\n{" in run.stdout:
        yield "stdout is not one pretty-printed JSON object and nothing else"
    if document["lockstep_version"] != run.places["version"]:
        yield f"lockstep_version is {document['lockstep_version']!r}"
    if not (isinstance(document["plugin_abi"], int) and document["plugin_abi"] >= 1):
        yield f"plugin_abi is {document['plugin_abi']!r}, not a positive integer"
    core = named(document["plugins"], "core")
    if not core["path"].endswith("lockstep-core.so"):
        yield f"plugins[core].path is {core['path']!r}"
    sleep = named(core["job_types"], "core.sleep")
    if not sleep["doc"]:
        yield "core.sleep has no doc"
    duration = named(sleep["params"], "duration")
    if duration["type"] != "duration":
        yield f"core.sleep's 'duration' has type {duration['type']!r}"
    for key in ("required", "default", "allowed", "min", "max", "doc"):
        if key not in duration:
            yield f"core.sleep's 'duration' has no key {key!r}"
    if named(core["job_types"], "core.command")["outputs"] != []:
        yield "core.command, whose keys are its command's, declares outputs"
    echo = named(core["job_types"], "core.echo")
    if [output["name"] for output in echo["outputs"]] != ["message"]:
        yield f"core.echo's outputs are {echo['outputs']!r}, not [message]"


def named(elements, name):
    """The element of a JSON array whose "name" is `name` (a KeyError says which is missing)."""
    for element in elements:
        if element["name"] == name:
            return element
    raise KeyError(f"no element named {name!r}")


case("plugins_json", "plugins --json", exit=0, stderr="", check=plugins_json)

# PLUGIN.NAME shows that one job type or stage kind (not a plugin file of that name); an unknown
# one is exit status 2 with a did-you-mean.
case("plugins_one_job_type", "plugins core.output", exit=0, stderr="",
     stdout_has=regex(r"\A  core\.output \(job type of plugin core [0-9]+\.[0-9]+\.[0-9]+\)  .+\n"
                      r"      values  "),
     stdout_lacks=["core.sleep", "lockstep-core.so"])
# The outputs a job type declares, after its parameters.
case("plugins_outputs", "plugins core.echo", exit=0, stderr="",
     stdout_has=[line("      message  string  required  what to log and publish"),
                 line("    publishes"), line("      message  the message, as given")])
case("plugins_one_stage_kind", "plugins stages.race", exit=0, stderr="",
     stdout_has=first_line("  stages.race (stage kind of plugin stages..."), stdout_lacks="core.")
case("plugins_one_json", "plugins core.output --json", exit=0, stderr="",
     stdout_has=[regex(r'"job_types": \[\n +\{\n +"name": "core\.output"'), '"plugin": "core"',
                 '"stage_kinds": []'],
     stdout_lacks="core.sleep")
case("plugins_unknown_declaration", "plugins nope.nope", exit=2, stdout="",
     stderr_has=first_line(
         "lockstep plugins: error: unknown job type or stage kind 'nope.nope'..."))
case("plugins_misspelt_declaration", "plugins core.ouptut", exit=2, stdout="",
     stderr_has="unknown job type or stage kind 'core.ouptut' (did you mean 'core.output'?)")

# A plugin by name through each search place, by path, and a good plugin beside core.
FIXTURE_LISTED = [line("fixture 1.2.3  (built against lockstep {version})"),
                  line("  fixture.hello  Logs a greeting..."),
                  line("      name  string  default world  who to greet")]
case("plugins_search_path", "plugins --plugin-path {test_plugins}/fixture", exit=0, stderr="",
     needs=["test_plugins"], stdout_has=FIXTURE_LISTED + [first_line("core ...")])
case("plugins_env_path", "plugins fixture", exit=0, stderr="", needs=["test_plugins"],
     env={"LOCKSTEP_PLUGIN_PATH": "{test_plugins}/no_such_dir:{test_plugins}/fixture"},
     stdout_has=FIXTURE_LISTED)
case("plugins_by_path", "plugins {test_plugins}/fixture/lockstep-fixture.so", exit=0, stderr="",
     needs=["test_plugins"], stdout_has=FIXTURE_LISTED)
case("plugins_without_fixture", "plugins", exit=0, stderr="", stdout_lacks="fixture")

# How each type, default and constraint reads, from a test plugin that declares them all
# (render_plugin.cpp).
RENDERED = """\
  cli_render.all_types  Declares one parameter of each type
      must   string           required                                 a required one
      mode   string           default safe         one of: fast, safe  a choice
      label  string           default "two words"                      a default with a space
      count  integer          default 3            1..10               how many
      limit  integer          optional             <= 100              optional, bounded above
      ratio  number           default 0.75         >= 0.5              a fraction
      flag   boolean          default true                             a switch
      wait   duration         default 5s           250ms..1h           a bounded duration
      tags   list of strings  default [x]          one of: x, y        allowed values apply to each element
      env    map of strings   default {K: v}                           a map

  cli_render.bare
      (no parameters)
"""
case("plugins_render_text", "plugins --plugin-path {render_plugins}", exit=0, stderr="",
     stdout_has=[line("cli_render 0.0.1  (built against lockstep {version})"), RENDERED])


def render_json(run):
    """Every value of the test plugin's parameters typed as plugin_render.hpp promises."""
    plugin = named(json.loads(run.stdout)["plugins"], "cli_render")
    if plugin["version"] != "0.0.1":
        yield f"cli_render's version is {plugin['version']!r}"
    params = {p["name"]: p for p in named(plugin["job_types"], "cli_render.all_types")["params"]}
    expected = [("must", "required", True), ("must", "default", None), ("must", "type", "string"),
                ("mode", "default", "safe"), ("mode", "allowed", ["fast", "safe"]),
                ("count", "type", "integer"), ("count", "default", 3), ("count", "min", 1),
                ("count", "max", 10), ("limit", "min", None), ("limit", "max", 100),
                ("limit", "required", False), ("ratio", "default", 0.75), ("ratio", "min", 0.5),
                ("flag", "default", True), ("wait", "default", "5s"), ("wait", "min", "250ms"),
                ("wait", "max", "1h"), ("tags", "type", "string_list"), ("tags", "default", ["x"]),
                ("env", "type", "string_map"), ("env", "default", {"K": "v"})]
    for param, key, value in expected:
        actual = params[param][key]
        # type() too: 3 must not be 3.0 or "3", true must not be 1
        if actual != value or type(actual) is not type(value):
            yield f"{param}.{key} is {actual!r}, expected {value!r}"


case("plugins_render_json", "plugins --json cli_render", exit=0, stderr="",
     env={"LOCKSTEP_PLUGIN_PATH": "{render_plugins}"}, check=render_json)

# A plugin that cannot be found: the places searched are listed, nothing is listed on stdout.
case("plugin_name_not_found", "plugins no_such_plugin --plugin-path {test_plugins}/fixture",
     exit=2, stdout="", needs=["test_plugins"],
     stderr_has=[first_line(regex(r"lockstep: error: .*no_such_plugin.*not found.*")),
                 "{test_plugins}/fixture/", "{plugin_dir}/"])
case("plugin_path_not_found", "plugins {scratch}/nowhere/lockstep-ghost.so", exit=2, stdout="",
     stderr_has=first_line(
         regex(r"lockstep: error: .*{scratch}/nowhere/lockstep-ghost\.so.*not found.*")))


# Every broken fixture plugin: exit 2, nothing on stdout, a message naming the file and the cause.
def broken_plugin(name, *causes):
    case(f"broken_{name}", f"plugins --plugin-path {{test_plugins}}/{name}", exit=2, stdout="",
         needs=["test_plugins"],
         stderr_has=[f"{{test_plugins}}/{name}/lockstep-{name}.so: error: ", *causes])


broken_plugin("no_manifest", "not a lockstep plugin")
broken_plugin("abi_mismatch", regex(r"ABI.* 999[^0-9]"), regex(r"ABI.* {plugin_abi}[^0-9]"))
broken_plugin("unresolved", "lockstep_fixture_undefined_function")
broken_plugin("register_throws", "register boom: the plugin's setup failed")
broken_plugin("duplicate_type", "duplicate_type.twice", "registered twice")
broken_plugin("bad_default", "count", "default")
case("broken_dup", "plugins --plugin-path {test_plugins}/dup", exit=2, stdout="",
     needs=["test_plugins"],
     stderr_has=[regex(r"lockstep-dup_.\.so: error: .*'dup'"),
                 "{test_plugins}/dup/lockstep-dup_a.so", "{test_plugins}/dup/lockstep-dup_b.so"])
# All the errors, not only the first; and --json prints nothing when there is one.
case("broken_all_shown",
     "plugins --plugin-path {test_plugins}/no_manifest --plugin-path {test_plugins}/abi_mismatch",
     exit=2, stdout="", needs=["test_plugins"],
     stderr_has=["not a lockstep plugin", "ABI", "lockstep: 2 errors"])
case("broken_json", "plugins --json --plugin-path {test_plugins}/no_manifest", exit=2, stdout="",
     needs=["test_plugins"], stderr_has="not a lockstep plugin")
