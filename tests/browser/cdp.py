"""A headless chromium driven over the DevTools protocol, with Python's standard library only.

    with Browser.start() as browser:            # None from find_chromium() when there is none
        page = browser.open("file:///tmp/run.html", width=1280, height=900)
        page.evaluate("document.title")
        page.console_errors                      # console.error() calls and uncaught exceptions
        page.screenshot("run.png")

The protocol goes over a pipe (--remote-debugging-pipe: we write to the browser's fd 3 and read
its fd 4, messages separated by NUL bytes), so no port is opened and nothing else can connect.
"""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time

NAMES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium():
    """The path of a chromium on PATH (CHROMIUM overrides it), or None."""
    if os.environ.get("CHROMIUM"):
        return shutil.which(os.environ["CHROMIUM"])
    for name in NAMES:
        if path := shutil.which(name):
            return path
    return None


class ProtocolError(RuntimeError):
    pass


class Browser:
    def __init__(self, process, to_browser, from_browser, profile):
        self.process, self.profile = process, profile
        self.to_browser, self.from_browser = to_browser, from_browser
        self.buffer = b""
        self.next_id = 0
        self.events = []  # (session, method, params) not yet claimed

    @classmethod
    def start(cls, chromium, timeout=60):
        profile = tempfile.mkdtemp(prefix="lockstep-chromium-")
        ours_to_theirs = os.pipe()  # we write, the browser reads on fd 3
        theirs_to_ours = os.pipe()  # the browser writes on fd 4, we read

        def child_fds():
            os.dup2(ours_to_theirs[0], 3)
            os.dup2(theirs_to_ours[1], 4)

        arguments = [chromium, "--headless", "--remote-debugging-pipe",
                     "--user-data-dir=" + profile, "--no-first-run", "--no-default-browser-check",
                     "--disable-gpu", "--disable-extensions", "--disable-background-networking",
                     "--hide-scrollbars", "--mute-audio"]
        if os.geteuid() == 0:
            arguments.append("--no-sandbox")  # chromium refuses to run as root with its sandbox
        process = subprocess.Popen(arguments + ["about:blank"], pass_fds=(3, 4),
                                   preexec_fn=child_fds, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(ours_to_theirs[0])
        os.close(theirs_to_ours[1])
        browser = cls(process, os.fdopen(ours_to_theirs[1], "wb", buffering=0),
                      os.fdopen(theirs_to_ours[0], "rb", buffering=0), profile)
        browser.deadline = time.monotonic() + timeout
        return browser

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()

    def close(self):
        try:
            self.send("Browser.close")
        except (OSError, ProtocolError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for stream in (self.to_browser, self.from_browser):
            try:
                stream.close()
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def send(self, method, params=None, session=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.to_browser.write(json.dumps(message).encode() + b"\0")
        return self.next_id

    def receive(self):
        while b"\0" not in self.buffer:
            if time.monotonic() > self.deadline:
                raise ProtocolError("the browser did not answer in time")
            chunk = self.from_browser.read(1 << 16)
            if not chunk:
                raise ProtocolError("the browser closed the connection")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, params=None, session=None):
        """Sends a command and returns its result; events that arrive meanwhile are kept."""
        sent = self.send(method, params, session)
        while True:
            message = self.receive()
            if message.get("id") == sent:
                if "error" in message:
                    raise ProtocolError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append((message.get("sessionId"), message["method"],
                                    message.get("params", {})))

    def wait_for_event(self, session, method):
        while True:
            for i, (s, m, params) in enumerate(self.events):
                if s == session and m == method:
                    del self.events[i]
                    return params
            message = self.receive()
            if "method" in message:
                self.events.append((message.get("sessionId"), message["method"],
                                    message.get("params", {})))

    def open(self, url, width, height):
        """A new tab showing `url`, once its load event fired."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget",
                            {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        for domain in ("Runtime", "Page", "Log"):
            self.call(domain + ".enable", session=session)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                  session=session)
        self.call("Page.navigate", {"url": url}, session=session)
        self.wait_for_event(session, "Page.loadEventFired")
        return page


class Page:
    def __init__(self, browser, session):
        self.browser, self.session = browser, session

    def evaluate(self, expression):
        """The value of a JavaScript expression (JSON-able), evaluated in the page."""
        result = self.browser.call("Runtime.evaluate", {"expression": expression,
                                                        "returnByValue": True,
                                                        "awaitPromise": True},
                                   session=self.session)
        if "exceptionDetails" in result:
            raise ProtocolError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def mouse_move(self, x, y):
        self.browser.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y},
                          session=self.session)

    def drag(self, x_from, x_to, y):
        """The left button pressed at (x_from, y), moved to x_to, and released there."""
        mouse = {"y": y, "button": "left", "clickCount": 1}
        for kind, x, buttons in (("mousePressed", x_from, 1), ("mouseMoved", x_to, 1),
                                 ("mouseReleased", x_to, 0)):
            self.browser.call("Input.dispatchMouseEvent",
                              {**mouse, "type": kind, "x": x, "buttons": buttons},
                              session=self.session)

    def screenshot(self, path, full_page=True):
        params = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            size = self.evaluate("[document.documentElement.scrollWidth,"
                                 " document.documentElement.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}
        data = self.browser.call("Page.captureScreenshot", params, session=self.session)["data"]
        with open(path, "wb") as file:
            file.write(base64.b64decode(data))

    @property
    def console_errors(self):
        """Every console.error(), uncaught exception and error logged by the page so far."""
        self.evaluate("0")  # a round trip: events sent before it have arrived
        errors = []
        for session, method, params in self.browser.events:
            if session != self.session:
                continue
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                errors.append("console." + params["type"] + ": " + " ".join(
                    str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                errors.append("exception: " + details.get("exception", {}).get(
                    "description", details.get("text", "")))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                errors.append("log: " + params["entry"].get("text", ""))
        return errors
