"""Checks that a doc quotes test pipelines truly: every ```yaml block that follows a mention of
PREFIX/NAME.yaml (e.g. tests/mpi/pipelines/long-jobs.yaml) must be a run of that file's lines, and
the doc must quote at least one. Shared by the browser and MPI test drivers."""
import os
import re


def problems(doc_path, doc_name, prefix, pipelines_dir):
    """Yields what is wrong with the pipelines that the doc at DOC_PATH quotes."""
    with open(doc_path, encoding="utf-8") as file:
        text = file.read()
    named, count = None, 0
    pattern = re.escape(prefix) + r"/[\w.-]+\.yaml|^```yaml\n(.*?)^```$"
    for block in re.finditer(pattern, text, re.M | re.S):
        if block.group(1) is None:
            named = block.group(0)
            continue
        if named is None:
            continue  # another doc's example: not ours to check
        path = os.path.join(pipelines_dir, os.path.basename(named))
        with open(path, encoding="utf-8") as file:
            if "\n" + block.group(1) not in "\n" + file.read():
                yield f"{doc_name}: a yaml block after {named} is not a run of its lines"
        named = None
        count += 1
    if not count:
        yield f"{doc_name} quotes no pipeline of {prefix}"
