#!/usr/bin/env python3
"""Builds the fuzz seed corpora (fuzz/corpus/<target>/, not committed) from the repo's runtime
fixtures and the shared labelled shell corpora: every fixture payload of a runtime, plus shell
commands from the corpora spliced into that runtime's shell payload; every corpus command for
the shell front end. Usage: scripts/fuzz_seeds.py [CORPORA_DIR]"""
import glob, hashlib, json, os, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
corpora = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/corpora"
out = os.path.join(root, "fuzz", "corpus")

RUNTIMES = {  # target: (fixture dir, shell payload fixture, how to set the command)
    "hook_claude_code": ("claude-code", "input/pretooluse-bash.json", "tool_input"),
    "hook_codex": ("codex", "input/pretooluse-bash.json", "tool_input"),
    "hook_gemini": ("gemini-cli", "input/beforetool-shell.json", "tool_input"),
    "hook_cursor": ("cursor", "input/beforeshellexecution.json", "top"),
    "hook_copilot": ("copilot-cli", "input/pretooluse-bash-camel.json", "toolArgs"),
    "hook_openclaw": ("openclaw", "input/before-tool-call-exec.json", "params"),
}


def put(target, data: bytes):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


commands = []
for path in sorted(glob.glob(os.path.join(corpora, "*.jsonl"))):
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                c = json.loads(line).get("command")
            except ValueError:
                continue
            if isinstance(c, str):
                commands.append(c)

for c in commands:
    put("shell_assess", c.encode())

for target, (rdir, shell_fixture, how) in RUNTIMES.items():
    # Copilot's target reads its first byte as the event selector.
    prefix = b"\x00" if target == "hook_copilot" else b""
    for p in sorted(glob.glob(os.path.join(root, "fixtures", rdir, "**", "*.json"), recursive=True)):
        if p.endswith("manifest.json"):
            continue
        with open(p, "rb") as f:
            put(target, prefix + f.read())
    with open(os.path.join(root, "fixtures", rdir, shell_fixture), encoding="utf-8") as f:
        base = json.load(f)
    for c in commands[:: max(1, len(commands) // 300)]:
        v = json.loads(json.dumps(base))
        if how == "tool_input":
            v["tool_input"]["command"] = c
        elif how == "top":
            v["command"] = c
        elif how == "toolArgs":
            v["toolArgs"] = json.dumps({"command": c})
        else:
            v["event"]["params"]["command"] = c
        put(target, prefix + json.dumps(v).encode())

for t in ["shell_assess", *RUNTIMES]:
    print(t, len(os.listdir(os.path.join(out, t))), "seeds")
