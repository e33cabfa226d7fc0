"""mdc's Python worker: runs a score.py (init() once, run(raw_data) per request) for `mdc serve`.

Standard library only. mdc starts one worker per instance and talks to it over two pipes, fd 3 (requests in)
and fd 4 (answers out), so whatever the script prints on stdout/stderr stays a log line and never mixes with
the protocol. A frame is one line of JSON, then `len` bytes of body:

    in:  {"op": "run", "id": 7, "rid": "<x-request-id>", "len": N}      body: the request body (UTF-8)
    out: {"op": "ready"}  |  {"op": "init_failed", "message": ..., "traceback": ...}
         {"op": "result", "id": 7, "status": 200, "type": "application/json", "len": N}
         {"op": "error", "id": 7, "message": ..., "traceback": ...}

A run() that returns a generator (or any other iterator) streams its answer, each item as it comes:

    out: {"op": "stream_start", "id": 7, "status": 200}
         {"op": "chunk", "id": 7, "kind": "bytes" | "text" | "json", "len": N}   body: the item
         {"op": "stream_end", "id": 7}  |  {"op": "stream_error", "id": 7, "message": ..., "traceback": ...}
    in:  {"op": "credit", "id": 7, "n": 16}   the client took 16 more items: as many may be sent
         {"op": "cancel", "id": 7}            the client went away: the generator is closed
         {"op": "stream_closed", "id": 7}     mdc has the stream's end (a one-at-a-time worker goes on then)

End of input (mdc closed fd 3) means: finish what is running, then exit.
"""

import argparse
import datetime
import decimal
import collections
import importlib.util
import inspect
import json
import math
import os
import signal
import sys
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor

_local = threading.local()


def current_request_id():
    """The x-request-id of the request this thread is scoring (None outside run())."""
    return getattr(_local, "rid", None)


def _patch_azureml_context():
    """Make azureml-ai-monitoring's default context carry the request's id.

    The package's JSON collector calls `get_context()` (a name it imports from `azureml.ai.monitoring.context`)
    when the script passes no context, which makes a fresh UUID per collect() call. Replacing that one name
    inside the collector module gives model_inputs/model_outputs the request's x-request-id as correlationid,
    like the request/response payloads, with no change to the script. A context the script passes still wins.
    """
    mod = sys.modules.get("azureml.ai.monitoring.collector_json")
    if mod is None or getattr(mod, "_mdc_patched", False):
        return
    original = getattr(mod, "get_context", None)
    context_mod = sys.modules.get("azureml.ai.monitoring.context")
    basic = getattr(context_mod, "BasicCorrelationContext", None)
    if original is None or basic is None:
        return

    def get_context():
        rid = current_request_id()
        return original() if rid is None else basic(id=rid)

    mod.get_context = get_context
    mod._mdc_patched = True


def _json_default(o):
    """JSON for what scoring scripts return besides dict/list/str/number: numpy and pandas values, dates."""
    module = type(o).__module__ or ""
    if module.startswith("pandas"):
        if hasattr(o, "to_dict") and hasattr(o, "columns"):
            return o.to_dict(orient="records")
        if hasattr(o, "tolist"):
            return o.tolist()
        if hasattr(o, "isoformat"):
            return o.isoformat()
    if module.startswith("numpy"):
        if hasattr(o, "tolist"):
            return o.tolist()
        if hasattr(o, "item"):
            return o.item()
    if isinstance(o, (datetime.datetime, datetime.date, datetime.time)):
        return o.isoformat()
    if isinstance(o, decimal.Decimal):
        return float(o)
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    raise TypeError(f"run() returned a {type(o).__module__}.{type(o).__name__}, which cannot be sent as JSON")


def _finite(v):
    """NaN and infinities become null: they are not JSON, and a stored response must stay readable."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_finite(x) for x in v]
    return v


def to_json(value):
    try:
        return json.dumps(value, default=_json_default, allow_nan=False, separators=(",", ":"))
    except ValueError:
        plain = json.loads(json.dumps(value, default=_json_default, allow_nan=True))
        return json.dumps(_finite(plain), allow_nan=False, separators=(",", ":"))


def encode_result(result):
    """(status, content type, body bytes, headers) of what run() returned."""
    # An AMLResponse (Flask/werkzeug Response) or anything shaped like one.
    if hasattr(result, "status_code") and hasattr(result, "get_data"):
        headers = {k: v for k, v in getattr(result, "headers", {}).items() if k.lower() != "content-length"}
        ctype = headers.pop("Content-Type", None) or headers.pop("content-type", None) or "application/json"
        return int(result.status_code), ctype, result.get_data(), headers
    if isinstance(result, (bytes, bytearray, memoryview)):
        return 200, "application/octet-stream", bytes(result), {}
    return 200, "application/json", to_json(result).encode("utf-8"), {}


# Items a streaming run() may send ahead of what the client has taken (mdc gives credit back as it goes).
STREAM_CREDITS = 64


def is_stream(result):
    """run() returned a generator or another iterator: its items are sent as they come."""
    if inspect.isgenerator(result):
        return True
    return hasattr(result, "__next__") and not isinstance(
        result, (str, bytes, bytearray, memoryview, dict, list, tuple)
    )


def encode_item(item):
    """(kind, bytes) of one streamed item: bytes as they are, text as UTF-8, anything else as JSON."""
    if isinstance(item, (bytes, bytearray, memoryview)):
        return "bytes", bytes(item)
    if isinstance(item, str):
        return "text", item.encode("utf-8")
    return "json", to_json(item).encode("utf-8")


class _Stream:
    def __init__(self):
        self.credits = threading.Semaphore(STREAM_CREDITS)
        self.cancelled = threading.Event()


class Worker:
    def __init__(self, proto_out, concurrency):
        self.out = proto_out
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=concurrency) if concurrency > 1 else None
        self.module = None
        self.streams = {}
        # Requests that came in while a one-at-a-time worker was streaming: run after the stream, in order.
        self.pending = collections.deque()
        self.proto_in = None

    def send(self, header, body=b""):
        header["len"] = len(body)
        data = json.dumps(header, separators=(",", ":")).encode("utf-8") + b"\n" + body
        with self.lock:
            self.out.write(data)
            self.out.flush()

    def load(self, script, builtin):
        self.phase = "import"
        if builtin:
            spec = importlib.util.spec_from_file_location("mdc_builtin_score", builtin)
        else:
            name = os.path.splitext(os.path.basename(script))[0]
            spec = importlib.util.spec_from_file_location(name, script)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        if not callable(getattr(module, "run", None)):
            raise AttributeError(f"{script} does not define a run(raw_data) function")
        self.module = module
        _patch_azureml_context()
        init = getattr(module, "init", None)
        if init is not None:
            if not callable(init):
                raise AttributeError(f"{script} defines init, but it is not a function")
            self.phase = "init"
            init()
        _patch_azureml_context()

    def handle(self, msg, body):
        rid = msg.get("rid")
        _local.rid = rid
        try:
            _patch_azureml_context()
            text = body.decode("utf-8", errors="replace")
            if text.startswith("\ufeff"):
                text = text[1:]
            result = self.module.run(text)
            if is_stream(result):
                self.stream(msg, result)
                return
            status, ctype, payload, headers = encode_result(result)
            header = {"op": "result", "id": msg["id"], "status": status, "type": ctype}
            if headers:
                header["headers"] = {str(k): str(v) for k, v in headers.items()}
            self.send(header, payload)
        except BaseException as e:  # noqa: BLE001 - every failure of run() is answered, never fatal
            tb = traceback.format_exc()
            self.send(
                {"op": "error", "id": msg["id"], "message": f"{type(e).__name__}: {e}", "traceback": tb},
            )
        finally:
            _local.rid = None

    def stream(self, msg, items):
        """Sends a streaming run()'s items as they come, no more than its credit ahead of the client."""
        sid = msg["id"]
        state = self.streams[sid] = _Stream()
        rid = msg.get("rid")
        self.send({"op": "stream_start", "id": sid, "status": 200})

        def iterate():
            _local.rid = rid
            try:
                for item in items:
                    kind, data = encode_item(item)
                    while not state.credits.acquire(timeout=0.2):
                        if state.cancelled.is_set():
                            break
                    if state.cancelled.is_set():
                        break
                    self.send({"op": "chunk", "id": sid, "kind": kind}, data)
                self.send({"op": "stream_end", "id": sid})
            except BaseException as e:  # noqa: BLE001 - a failing generator ends its stream, never the worker
                self.send(
                    {
                        "op": "stream_error",
                        "id": sid,
                        "message": f"{type(e).__name__}: {e}",
                        "traceback": traceback.format_exc(),
                    }
                )
            finally:
                close = getattr(items, "close", None)
                if close is not None:
                    try:
                        close()
                    except BaseException:  # noqa: BLE001, S110 - the stream is over either way
                        pass
                self.streams.pop(sid, None)
                _local.rid = None

        if self.pool is not None:
            iterate()
            return
        # One at a time: the generator runs on a thread of its own while this (the reading) thread takes mdc's
        # credit and cancel messages, and keeps requests that arrive for after the stream.
        threading.Thread(target=iterate, name=f"mdc-stream-{sid}", daemon=True).start()
        while True:
            got = self.read()
            if got is None:
                state.cancelled.set()
                return
            m, body = got
            if m.get("op") == "stream_closed" and m.get("id") == sid:
                return
            if not self.control(m):
                self.pending.append((m, body))

    def control(self, msg):
        """Applies a credit, cancel or stream_closed message; False for anything else (a request)."""
        op = msg.get("op")
        if op == "credit":
            state = self.streams.get(msg.get("id"))
            if state is not None:
                state.credits.release(int(msg.get("n", 1)))
            return True
        if op == "cancel":
            state = self.streams.get(msg.get("id"))
            if state is not None:
                state.cancelled.set()
            return True
        return op == "stream_closed"

    def read(self):
        """The next message and its body, or None at end of input."""
        line = self.proto_in.readline()
        if not line:
            return None
        msg = json.loads(line)
        n = msg.get("len", 0)
        return msg, (self.proto_in.read(n) if n else b"")

    def serve(self, proto_in):
        self.proto_in = proto_in
        while True:
            got = self.pending.popleft() if self.pending else self.read()
            if got is None:
                break
            msg, body = got
            if self.control(msg):
                continue
            if self.pool is not None:
                self.pool.submit(self.handle, msg, body)
            else:
                self.handle(msg, body)
        for state in list(self.streams.values()):
            state.cancelled.set()
        if self.pool is not None:
            self.pool.shutdown(wait=True)


def main():
    parser = argparse.ArgumentParser(description="mdc serve's Python worker (started by mdc, not by hand)")
    parser.add_argument("--script", required=True)
    parser.add_argument("--code", required=True)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--builtin", default=None, help="a scoring module shipped with mdc (no-code models)")
    args = parser.parse_args()

    # mdc owns the lifecycle: Ctrl-C or SIGTERM sent to the whole process group must not cut a request in
    # half; mdc drains, then closes fd 3, and the worker ends on its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

    proto_in = os.fdopen(3, "rb", buffering=1 << 16)
    proto_out = os.fdopen(4, "wb", buffering=1 << 16)
    code = os.path.abspath(args.code)
    sys.path.insert(0, code)
    script_dir = os.path.dirname(os.path.abspath(args.script))
    if script_dir != code:
        sys.path.insert(1, script_dir)

    worker = Worker(proto_out, max(1, args.concurrency))
    try:
        worker.load(args.script, args.builtin)
    except BaseException as e:  # noqa: BLE001 - reported to mdc, which fails the start-up with it
        worker.send(
            {
                "op": "init_failed",
                "phase": getattr(worker, "phase", "import"),
                "message": f"{type(e).__name__}: {e}",
                "traceback": traceback.format_exc(),
            }
        )
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(3)
    worker.send({"op": "ready", "pid": os.getpid(), "python": sys.version.split()[0]})
    worker.serve(proto_in)
    sys.stdout.flush()
    sys.stderr.flush()
    # Normal exit runs atexit handlers (a collector package may flush there); a thread that never ends must
    # not keep the worker alive, so a watchdog ends it after a few seconds.
    watchdog = threading.Timer(5.0, lambda: os._exit(0))
    watchdog.daemon = True
    watchdog.start()
    sys.exit(0)


if __name__ == "__main__":
    main()
