import os
import time
def call_api(prompt, options, context):
    if prompt == "pid":
        return {"output": str(os.getpid())}
    if "boom" in prompt:
        return 1 / 0
    if "err" in prompt:
        return {"error": "upstream said no"}
    if "bad" in prompt:
        return {"text": "no output key"}
    if "slow" in prompt:
        time.sleep(5)
    return {"output": "py:" + prompt + ":" + options["config"].get("greeting", "") + ":" + context["vars"]["q"],
            "tokenUsage": {"prompt": 3, "completion": 4, "total": 7}, "cost": 0.25}
def other(prompt, options, context):
    return {"output": {"named": prompt}}
