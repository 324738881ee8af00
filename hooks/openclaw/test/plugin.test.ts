// Runs with `npm test` (Node 20, no network): fake binaries stand in for aiperture so every
// failure mode is exercised; the real binary is used too when it has been built.

import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import plugin, { checkToolCall, type PluginApi } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "aiperture-openclaw-"));
const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..", "..", "..");

function fake(name: string, script: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
  return path;
}

const exec = { toolName: "exec", params: { command: "rm -rf ~/workspace/build" }, toolCallId: "c1" };
const ctx = { agentId: "main", sessionId: "s1" };

test("passes aiperture's answer through", async () => {
  const bin = fake("deny", `cat > ${dir}/stdin.json; echo '{"block":true,"blockReason":"no"}'`);
  const r = await checkToolCall(exec, ctx, { binary: bin, cwd: "/w" });
  assert.deepEqual(r, { block: true, blockReason: "no" });
  const sent = JSON.parse(readFileSync(join(dir, "stdin.json"), "utf8"));
  assert.equal(sent.hook_event_name, "before_tool_call");
  assert.deepEqual(sent.event, exec);
  assert.deepEqual(sent.ctx, ctx);
  assert.equal(sent.cwd, "/w");
});

test("allow is an empty result", async () => {
  const bin = fake("allow", "cat >/dev/null; echo '{}'");
  assert.deepEqual(await checkToolCall(exec, ctx, { binary: bin }), {});
});

for (const [name, script] of [
  ["crash", "cat >/dev/null; echo 'boom' >&2; exit 1"],
  ["garbage", "cat >/dev/null; echo 'not json'"],
  ["array", "cat >/dev/null; echo '[]'"],
  ["silent", "cat >/dev/null"],
]) {
  test(`fails closed when the binary ${name}s`, async () => {
    const r = await checkToolCall(exec, ctx, { binary: fake(name, script) });
    assert.equal(r.requireApproval?.timeoutBehavior, "deny");
    assert.match(r.requireApproval?.description ?? "", /could not check/);
  });
}

test("fails closed when the binary is missing", async () => {
  const r = await checkToolCall(exec, ctx, { binary: join(dir, "no-such-binary") });
  assert.equal(r.requireApproval?.timeoutBehavior, "deny");
});

test("fails closed on a timeout", async () => {
  const r = await checkToolCall(exec, ctx, { binary: fake("slow", "exec sleep 5"), timeoutMs: 200 });
  assert.match(r.requireApproval?.description ?? "", /did not answer/);
});

test("registers before_tool_call with a budget above the binary's timeout", async () => {
  let registered: { hook: string; options?: { timeoutMs?: number } } | undefined;
  let handler: ((e: any, c: any) => Promise<unknown>) | undefined;
  const api: PluginApi = {
    on(hook, h, options) {
      registered = { hook, options };
      handler = h;
    },
  };
  plugin.register(api);
  assert.equal(registered?.hook, "before_tool_call");
  assert.equal(registered?.options?.timeoutMs, 10_000);
  const bin = fake("cfg", "cat >/dev/null; echo '{\"block\":true,\"blockReason\":\"cfg\"}'");
  const r = await handler!({ ...exec, context: { pluginConfig: { binary: bin } } }, ctx);
  assert.deepEqual(r, { block: true, blockReason: "cfg" });
});

const built = join(repo, "target", "debug", "aiperture");
test("the real binary answers the fixture envelope", { skip: !existsSync(built) }, async () => {
  const fixture = JSON.parse(
    readFileSync(join(repo, "fixtures", "openclaw", "input", "before-tool-call-exec.json"), "utf8"),
  );
  process.env.AIPERTURE_HOME = dir;
  process.env.AIPERTURE_DB_PATH = join(dir, "db.sqlite");
  const r = await checkToolCall(fixture.event, fixture.ctx, { binary: built });
  // Denied by the engine, or (before it is merged) held for approval: never let through.
  assert.ok(r.block === true || r.requireApproval?.timeoutBehavior === "deny", JSON.stringify(r));
});
