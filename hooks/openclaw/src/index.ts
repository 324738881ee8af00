// The aiperture plugin for OpenClaw: before every tool call, ask aiperture.
//
// Install: see docs/runtimes/openclaw.md. Config (plugins.entries.aiperture.config):
//   binary    path of the aiperture executable (default: `aiperture` on PATH)
//   timeoutMs how long to wait for it before failing closed (default 8000)

import { checkToolCall, type BeforeToolCallEvent, type HookContext } from "./gate.js";

export { checkToolCall, envelope, failClosed } from "./gate.js";
export type { BeforeToolCallEvent, BeforeToolCallResult, GateOptions, HookContext } from "./gate.js";

/** The slice of OpenClaw's plugin API this plugin uses. */
export interface PluginApi {
  on(
    hook: "before_tool_call",
    handler: (event: BeforeToolCallEvent & { context?: { pluginConfig?: Record<string, unknown> } }, ctx: HookContext) => Promise<unknown>,
    options?: { priority?: number; timeoutMs?: number },
  ): void;
}

/** The hook's own budget; the binary is given less so that aiperture, not OpenClaw's timeout
 * (which would skip the hook and let the call through), decides what a slow check means. */
export const HOOK_TIMEOUT_MS = 10_000;

const plugin = {
  id: "aiperture",
  name: "aiperture permission gate",
  register(api: PluginApi) {
    api.on(
      "before_tool_call",
      async (event, ctx) => {
        const config = event.context?.pluginConfig ?? {};
        const binary = typeof config.binary === "string" ? config.binary : undefined;
        const timeoutMs = typeof config.timeoutMs === "number"
          ? Math.min(config.timeoutMs, HOOK_TIMEOUT_MS - 1_000)
          : undefined;
        const { context: _context, ...call } = event;
        return checkToolCall(call, ctx, { binary, timeoutMs });
      },
      { priority: 100, timeoutMs: HOOK_TIMEOUT_MS },
    );
  },
};

export default plugin;
