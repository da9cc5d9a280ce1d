"""The command line itself: help, version, and each kind of usage mistake (exit status 2, nothing
on stdout, what went wrong and how to write it)."""
from spec import case, first_line, line, regex, row

case("help", "--help", exit=0, stderr="",
     stdout_has=["Usage: lockstep", "Commands:",
                 row("  plugins  List the loaded plugins..."),
                 "--version", "Exit codes:",
                 row("  0  success..."),
                 row("  1  the run had failures"),
                 row("  2  usage, configuration..."),
                 row("  130  interrupted...")])
case("help_pipeline_commands", "--help", exit=0, stderr="",
     stdout_has=[row("  run  Run a pipeline..."),
                 row("  validate  Check a pipeline..."),
                 row("  graph  Print a pipeline...")])
case("help_command", "plugins --help", exit=0, stderr="",
     stdout_has=["Usage: lockstep plugins", "NAME_OR_PATH", "--plugin-path DIR", "--json"])
for command in ("run", "validate", "graph"):
    case(f"{command}_help", f"{command} --help", exit=0, stderr="",
         stdout_has=[f"Usage: lockstep {command}", "PIPELINE", "--set vars.NAME=VALUE",
                     "--plugin-path DIR"])
case("run_help_threads", "run --help", exit=0, stderr="", stdout_has="--threads N")
# The default run directory as default_run_dir() makes it.
case("run_help_run_dir", "run --help", exit=0, stderr="", stdout_has=".lockstep/runs/NAME-TIME-PID")

case("version", "--version", exit=0, stderr="",
     stdout=regex(r"lockstep {version} \(plugin ABI [1-9][0-9]*\)\n"
                  r"memory limits of worker processes: "
                  r"(cgroup v[12] \(/.+\)|RLIMIT_AS \(no writable memory cgroup\))\n"
                  r"MPI: (available \(liblockstep-mpi, .+\)|not built)\n"))
case("version_without_cgroup", "--version", exit=0, stderr="", env={"LOCKSTEP_CGROUP": "off"},
     stdout=regex(r"lockstep {version} .*\nmemory limits of worker processes: RLIMIT_AS \(no writable memory cgroup\)\nMPI: .+\n"))

case("no_command", "", exit=2, stdout="",
     stderr_has=["Usage: lockstep", "Commands:", "plugins", "lockstep: error: no command given"])
case("unknown_command", "plgins", exit=2, stdout="",
     stderr_has=[first_line(regex(r"lockstep: error: .*not expected: plgins")),
                 "lockstep: 'plgins' is not a command (did you mean 'plugins'?)",
                 "Run 'lockstep --help'"])
case("unknown_command_far", "frobnicate", exit=2, stdout="",
     stderr_has="'frobnicate' is not a command (the commands are: run validate graph plugins runs show report)",
     stderr_lacks="did you mean")
case("unknown_flag", "plugins --jsno", exit=2, stdout="",
     stderr_has=[first_line(regex(r"lockstep plugins: error: .*not expected: --jsno")),
                 "'--jsno' is not an option of 'lockstep plugins' (did you mean '--json'?)",
                 "Run 'lockstep plugins --help'"])
case("flag_before_command", "--json plugins", exit=2, stdout="",
     stderr_has=["'--json' is not an option of 'lockstep'",
                 "options of 'lockstep plugins' go after it, as in 'lockstep plugins --json'"])
case("plugin_path_not_a_directory", "plugins --plugin-path {scratch}/no-such-dir", exit=2,
     stdout="", stderr_has=regex(r"--plugin-path: .*{scratch}/no-such-dir"))
case("plugin_path_without_value", "plugins --plugin-path", exit=2, stdout="",
     stderr_has="--plugin-path")
case("pipeline_missing", "validate", exit=2, stdout="",
     stderr_has=first_line(regex(r"lockstep validate: error: .*PIPELINE is required")))

# --set takes vars.NAME=VALUE and nothing else; --threads a whole number >= 1. Each mistake is a
# usage error: exit 2, nothing printed on stdout, nothing run (no job's line, no summary).
case("set_without_vars_prefix", "validate {pipelines}/cli/tiny.yaml --set greeting=hey", exit=2,
     stdout="",
     stderr_has=line("lockstep validate: error: --set: 'greeting=hey' does not set a var: "
                     "write --set vars.greeting=hey"))
case("set_other_scope", "graph {pipelines}/cli/tiny.yaml --set env.HOME=x", exit=2, stdout="",
     stderr_has=line("lockstep graph: error: --set: 'env.HOME=x' does not set a var: "
                     "write --set vars.NAME=VALUE"))
case("set_without_value", "run {pipelines}/cli/tiny.yaml --set vars.greeting", exit=2, stdout="",
     stderr_has=line("lockstep run: error: --set: 'vars.greeting' has no value: "
                     "write --set vars.greeting=VALUE"),
     stderr_lacks=["hello a", line("stage ...")])
case("set_without_name", "run {pipelines}/cli/tiny.yaml --set vars.=x", exit=2, stdout="",
     stderr_has="lockstep run: error: --set: 'vars.=x' names no var", stderr_lacks="hello a")
# A var the pipeline does not declare: the loader's diagnostic, and nothing runs.
case("set_unknown_var", "run {pipelines}/cli/tiny.yaml --set vars.greting=hey", exit=2, stdout="",
     stderr_has=regex(r"(?m)^--set: error: .*'vars\.greting'"),
     stderr_lacks=["hello a", line("stage ...")])
case("threads_zero", "run {pipelines}/cli/tiny.yaml --threads 0", exit=2, stdout="",
     stderr_has="lockstep run: error: --threads: '0' is not a number of threads",
     stderr_lacks="hello a")
case("threads_not_a_number", "run {pipelines}/cli/tiny.yaml --threads two", exit=2, stdout="",
     stderr_has="--threads: 'two' is not a number of threads", stderr_lacks="hello a")
