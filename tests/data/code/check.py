# Used by tests/cli/code.sh: the default function and a named one.
def get_assert(output, context):
    print("noise on stdout must not reach the reply")
    return {"pass": output == context["vars"]["q"], "score": 0.9, "reason": "py saw " + output}


def half(output, context):
    return {"pass": True, "score": 0.5, "reason": "half"}
