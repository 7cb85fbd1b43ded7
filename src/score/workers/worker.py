# worker.py — assay's long-lived Python worker (src/score/code_worker.c
# starts one `python3` per run on first use).  Requests arrive on stdin and
# replies leave on fd 3, each a 4-byte big-endian length then JSON, one at a
# time; the user's prints go to stderr (sys.stdout is rebound), never into
# replies.
#
# kind "provider" ({file, fn, prompt, options, context}) is a promptfoo
# Python provider: function `fn` (default call_api) of the file, called as
# call_api(prompt, options, context).
#
# A request: {code, file, fn, output, context}.  Inline `code` becomes, as in
# promptfoo, `def main(output, context):` whose body is the code indented by
# the style of its first indented line (several lines) or `return <code>`
# (one line); `import json` comes first.  `file` is a path loaded once, whose
# function `fn` (default get_assert) is called.  The reply: {ok: true,
# result} or {ok: false, error, stack}.
import importlib.util
import json
import os
import re
import struct
import sys
import traceback

out = os.fdopen(3, "wb", buffering=0)
sys.stdout = sys.stderr
inp = sys.stdin.buffer
code_cache = {}
mod_cache = {}


def build(code):
    if "\n" in code:
        m = re.search(r"^(?!\s*$)\s+", code, re.M)
        ind = m.group(0) if m else "    "
        lines = "\n".join(ind + line for line in code.split("\n"))
    else:
        lines = "    return " + code
    return "import json\n\ndef main(output, context):\n" + lines + "\n"


def resolve(req):
    if req.get("file"):
        path = req["file"]
        mod = mod_cache.get(path)
        if mod is None:
            spec = importlib.util.spec_from_file_location("assay_user_%d" % len(mod_cache), path)
            mod = importlib.util.module_from_spec(spec)
            sys.path.insert(0, os.path.dirname(path))
            spec.loader.exec_module(mod)
            mod_cache[path] = mod
        name = req.get("fn") or ("call_api" if req.get("kind") == "provider" else "get_assert")
        f = getattr(mod, name, None)
        if not callable(f):
            raise Exception("%s has no function %s" % (path, name))
        return f
    f = code_cache.get(req["code"])
    if f is None:
        ns = {}
        exec(compile(build(req["code"]), "<inline python>", "exec"), ns)
        f = ns["main"]
        code_cache[req["code"]] = f
    return f


def plain(v):
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if hasattr(v, "__dict__"):
        return plain(vars(v))
    return str(v)


def send(obj):
    b = json.dumps(obj, allow_nan=False).encode("utf-8")
    out.write(struct.pack(">I", len(b)) + b)


send({"ready": True})  # code_worker.c: start-up is not part of a call's limit
while True:
    h = inp.read(4)
    if len(h) < 4:
        break
    (n,) = struct.unpack(">I", h)
    req = json.loads(inp.read(n).decode("utf-8"))
    try:
        if req.get("kind") == "provider":
            r = resolve(req)(req.get("prompt"), req.get("options") or {}, req.get("context") or {})
        else:
            r = resolve(req)(req.get("output"), req.get("context") or {})
        try:
            send({"ok": True, "result": plain(r)})
        except ValueError as e:
            send({"ok": False, "error": "the result is not JSON: %s" % e, "stack": ""})
    except BaseException as e:  # noqa: B036 - a user's SystemExit must not end the worker
        send({"ok": False, "error": "%s: %s" % (type(e).__name__, e), "stack": traceback.format_exc()})
