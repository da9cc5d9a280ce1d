"""`lockstep graph`: the pipeline as Graphviz DOT on stdout (a cluster per stage, a node per job,
barriers between stages, the bulkheads as a legend); nothing on stdout when it has an error."""
import shutil
import subprocess

from spec import case, expected_lines, first_line, last_line, line, regex

# Exactly the lines of graph.expected.
case("graph", "graph {pipelines}/cli/graph.yaml", exit=0, stderr="",
     stdout=expected_lines("{pipelines}/cli/graph.yaml"))
# No barrier without a next stage.
case("graph_one_stage", "graph {pipelines}/cli/empty_range.yaml", exit=0,
     stdout_has=[first_line('digraph "empty_range" {'), line("  subgraph cluster_stage0 {"),
                 last_line("}")],
     stdout_lacks=["barrier", "cluster_stage1"])


def dot_reads_it(run):
    """Graphviz's dot reads stdout without an error or a warning."""
    dot = subprocess.run([shutil.which("dot"), "-Tsvg"], input=run.stdout, capture_output=True,
                         text=True, timeout=60)
    if dot.returncode != 0 or dot.stderr:
        yield f"dot -Tsvg does not accept the graph (status {dot.returncode}): {dot.stderr.strip()}"
    elif "<svg" not in dot.stdout:
        yield "dot -Tsvg printed no SVG"


case("graph_dot_reads_it", "graph {pipelines}/cli/graph.yaml", exit=0, stderr="", needs=["dot"],
     check=dot_reads_it)
case("graph_error", "graph {pipelines}/cli/bad_marker.yaml", exit=2, stdout="",
     stderr_has=regex(r"bad_marker\.yaml:[0-9]+:[0-9]+: error: "))
