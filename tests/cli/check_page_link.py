#!/usr/bin/env python3
"""check_page_link.py LOCKSTEP PIPELINE WORKDIR — on a terminal, `lockstep run --html FILE` ends
with the page as a file:// URL (absolute, each byte that a URL cannot hold as it is written %XX),
which terminals let one open; its stderr is a pseudo-terminal here."""
import os
import pty
import shutil
import subprocess
import sys

lockstep, pipeline, work = sys.argv[1:4]
shutil.rmtree(work, ignore_errors=True)
directory = os.path.join(work, "a dir")  # a space: %20 in the URL
os.makedirs(directory)
controller, terminal = pty.openpty()
process = subprocess.Popen([lockstep, "run", pipeline, "--html", "run #1.html",
                            "--progress=never", "--run-dir", os.path.join(work, "logs")],
                           cwd=directory, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=terminal)
os.close(terminal)
output = b""
while True:
    try:
        chunk = os.read(controller, 4096)
    except OSError:  # EIO: the terminal's other end closed
        break
    if not chunk:
        break
    output += chunk
status = process.wait(timeout=60)
text = output.decode("utf-8", "replace").replace("\r\n", "\n")
url = "file://" + os.path.realpath(directory).replace(" ", "%20") + "/run%20%231.html"
print(text)
if status != 0 or not text.endswith(f"page: {url}\n"):
    sys.exit(f"check_page_link: expected exit 0 and the last line 'page: {url}', got exit {status}")
if not os.path.exists(os.path.join(directory, "run #1.html")):
    sys.exit("check_page_link: the page was not written")
