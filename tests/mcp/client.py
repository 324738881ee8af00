#!/usr/bin/env python3
"""Drives aiperture's MCP server with the official MCP Python SDK (PyPI `mcp`), as a real
client would, over both transports (docs/mcp.md; run by .ci/run):

    client.py stdio /path/to/aiperture          # spawns `aiperture serve --mcp`
    client.py http http://127.0.0.1:PORT/mcp KEY
    client.py expect-tools FILE                 # FILE: the inspector CLI's tools/list output

On each transport it connects twice: with the initialize handshake (the previous revision,
2025-11-25) and with `server/discover` (the current one, 2026-07-28). Each time it lists the
tools (the exact list), calls every tool with valid arguments (a result whose structured
content the SDK validates against the tool's output schema), then with hostile ones (wrong
types, 10 MB strings, missing fields, unknown tools): each must be a result or an MCP error,
and the server must still answer afterwards. AIPERTURE_HOME and AIPERTURE_DB_PATH come from
the environment. Prints `N passed, N failed` and exits 1 on any failure.
"""

import asyncio
import sys
import traceback

from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError

TOOLS = [
    "check_permission",
    "request_permission",
    "explain_action",
    "get_permission_patterns",
    "list_auto_approved_patterns",
    "get_audit_trail",
    "verify_audit_chain",
    "get_compliance_report",
    "get_config",
    "store_artifact",
    "verify_artifact",
    "get_cost_summary",
]

VALID = {
    "check_permission": {"scope": "ls -la", "cwd": "/tmp"},
    "request_permission": {"scope": "git push origin main", "justification": "ci: the release"},
    "explain_action": {"scope": "rm -rf /"},
    "get_permission_patterns": {},
    "list_auto_approved_patterns": {},
    "get_audit_trail": {"limit": 5},
    "verify_audit_chain": {},
    "get_compliance_report": {"since_days": 7},
    "get_config": {},
    "store_artifact": {"content": "ci artifact", "model_used": "m", "cost_usd": 0.01},
    "verify_artifact": {"artifact_id": None},
    "get_cost_summary": {},
}

HUGE = "A" * (10 * 1024 * 1024)

passed = 0
failed = 0


def ok(what):
    global passed
    passed += 1


def fail(what):
    global failed
    failed += 1
    print(f"FAIL {what}", flush=True)


def wrong_type(schema):
    """A value of a type the property does not take."""
    types = schema.get("type", [])
    if isinstance(types, str):
        types = [types]
    if "string" in types:
        return [12345, {"nested": True}]
    if "integer" in types or "number" in types:
        return "ten"
    return 3.5


def hostile_arguments(tool):
    """(label, arguments) pairs no tool should crash on."""
    props = tool.input_schema.get("properties", {}) or {}
    out = [("no arguments at all", {}), ("an unknown field", {"organization_id": ["x"] * 100})]
    huge_one = None
    for name, schema in props.items():
        out.append((f"{name} of a wrong type", {**VALID[tool.name], name: wrong_type(schema)}))
        types = schema.get("type", [])
        if huge_one is None and "string" in (types if isinstance(types, list) else [types]):
            huge_one = name
    # One 10 MB string per tool (each costs the client a second or two to encode).
    if huge_one is not None:
        out.append((f"{huge_one} of 10 MB", {**VALID[tool.name], huge_one: HUGE}))
    if tool.name == "check_permission":
        out.append(("a 10 MB key", {HUGE: 1}))
    return out


async def still_alive(c, where):
    r = await c.call_tool("verify_audit_chain", {})
    if r.is_error or not (r.structured_content or {}).get("intact") is True:
        fail(f"{where}: the server no longer answers verify_audit_chain: {r}")
    else:
        ok(where)


async def session(server, mode, expected_version, label):
    async with Client(server, mode=mode, read_timeout_seconds=60) as c:
        where = f"{label}/{mode}"
        if c.protocol_version != expected_version:
            fail(f"{where}: negotiated {c.protocol_version}, expected {expected_version}")
        else:
            ok(where)
        listed = await c.list_tools()
        names = [t.name for t in listed.tools]
        if names != TOOLS:
            fail(f"{where}: tools are {names}")
        else:
            ok(where)
        for t in listed.tools:
            if not t.description or "\n" in t.description or t.output_schema is None:
                fail(f"{where}: {t.name} lacks a one-line description or an output schema")
            # Valid arguments: a result with structured content (validated by the SDK).
            try:
                r = await c.call_tool(t.name, VALID[t.name])
                if r.is_error or r.structured_content is None:
                    fail(f"{where}: {t.name} with valid arguments: {r}")
                else:
                    ok(where)
                    if t.name == "store_artifact":
                        # What verify_artifact is then called with.
                        VALID["verify_artifact"] = {"artifact_id": r.structured_content["id"]}
            except Exception as e:  # noqa: BLE001 - any exception here is a failure
                fail(f"{where}: {t.name} with valid arguments raised {e!r}")
            # Hostile arguments: a result or an MCP error, never a crash.
            for hostile, args in hostile_arguments(t):
                try:
                    await c.call_tool(t.name, args)
                    ok(where)
                except MCPError:
                    ok(where)
                except Exception as e:  # noqa: BLE001
                    fail(f"{where}: {t.name} with {hostile} raised {type(e).__name__}: {e}"[:400])
            await still_alive(c, f"{where} after {t.name}")
        for unknown in ["approve_action", "revoke_permission_pattern", "", "x" * 100000]:
            try:
                r = await c.call_tool(unknown, {})
                if r.is_error:
                    ok(where)
                else:
                    fail(f"{where}: unknown tool {unknown[:20]!r} answered {r}")
            except MCPError:
                ok(where)
            except Exception as e:  # noqa: BLE001
                fail(f"{where}: unknown tool {unknown[:20]!r} raised {type(e).__name__}: {e}"[:400])
        await still_alive(c, f"{where} after unknown tools")


def expect_tools(path):
    """The MCP inspector CLI's `--method tools/list` output lists exactly TOOLS."""
    import json

    text = open(path, encoding="utf-8").read()
    listed = json.loads(text[text.index("{"):])
    names = [t["name"] for t in listed.get("tools", [])]
    if names != TOOLS:
        print(f"FAIL the inspector lists {names}", flush=True)
        return 1
    print(f"mcp-inspector: {len(names)} passed, 0 failed", flush=True)
    return 0


async def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "expect-tools":
        return expect_tools(sys.argv[2])
    if len(sys.argv) >= 3 and sys.argv[1] == "stdio":
        def server():
            return StdioServerParameters(command=sys.argv[2], args=["serve", "--mcp"])
        label = "stdio"
    elif len(sys.argv) >= 4 and sys.argv[1] == "http":
        url, key = sys.argv[2], sys.argv[3]

        def server():
            http = create_mcp_http_client(headers={"Authorization": f"Bearer {key}"})
            return streamable_http_client(url, http_client=http)
        label = "http"
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for mode, version in [("legacy", "2025-11-25"), ("auto", "2026-07-28")]:
        try:
            await session(server(), mode, version, label)
        except Exception:  # noqa: BLE001
            fail(f"{label}/{mode}: the session failed:\n{traceback.format_exc()}")
    print(f"mcp-{label}: {passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
