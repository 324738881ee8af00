// Asks the aiperture binary about one OpenClaw tool call and returns OpenClaw's
// BeforeToolCallResult. Every failure (the binary is missing, crashes, times out, prints
// something that is not a JSON object) fails closed: the call waits for the user's approval
// and is denied if nobody answers.

import { spawn } from "node:child_process";

/** OpenClaw's `before_tool_call` event (the fields aiperture reads). */
export interface BeforeToolCallEvent {
  toolName: string;
  params: Record<string, unknown>;
  runId?: string;
  toolCallId?: string;
}

/** OpenClaw's hook context (the fields aiperture reads). */
export interface HookContext {
  agentId?: string;
  sessionKey?: string;
  sessionId?: string;
  runId?: string;
  jobId?: string;
}

/** OpenClaw's answer to a tool call. */
export interface BeforeToolCallResult {
  params?: Record<string, unknown>;
  block?: boolean;
  blockReason?: string;
  requireApproval?: {
    title: string;
    description: string;
    severity?: "info" | "warning" | "critical";
    timeoutMs?: number;
    timeoutBehavior?: "allow" | "deny";
  };
}

/** How to reach the binary. */
export interface GateOptions {
  /** The aiperture executable (default: `aiperture` on PATH). */
  binary?: string;
  /** Give up (and fail closed) after this long; keep it below the hook's own timeoutMs. */
  timeoutMs?: number;
  /** The working directory reported to aiperture (default: this process's). */
  cwd?: string;
}

/** The envelope sent to `aiperture hook openclaw` on stdin. */
export function envelope(event: BeforeToolCallEvent, ctx: HookContext, cwd: string) {
  return { hook_event_name: "before_tool_call", event, ctx, cwd };
}

/** The answer when aiperture cannot be asked: wait for the human, deny on silence. */
export function failClosed(why: string): BeforeToolCallResult {
  return {
    requireApproval: {
      title: "aiperture: approval needed",
      description: `aiperture could not check this tool call (${why}), so it asks instead of allowing it.`,
      severity: "warning",
      timeoutMs: 60_000,
      timeoutBehavior: "deny",
    },
  };
}

/** Runs `aiperture hook openclaw` on one tool call. Never rejects. */
export function checkToolCall(
  event: BeforeToolCallEvent,
  ctx: HookContext,
  options: GateOptions = {},
): Promise<BeforeToolCallResult> {
  const binary = options.binary ?? "aiperture";
  const timeoutMs = options.timeoutMs ?? 8_000;
  const cwd = options.cwd ?? process.cwd();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: BeforeToolCallResult) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(r);
      }
    };
    let child;
    try {
      child = spawn(binary, ["hook", "openclaw"], { stdio: ["pipe", "pipe", "pipe"] });
    } catch (e) {
      finish(failClosed(`cannot start ${binary}: ${String(e)}`));
      return;
    }
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      finish(failClosed(`${binary} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (d: string) => (out += d));
    child.stderr.on("data", (d: string) => (err += d));
    child.on("error", (e) => finish(failClosed(`cannot start ${binary}: ${e.message}`)));
    child.on("close", (code) => {
      if (code !== 0) {
        const line = err.split("\n")[0] ?? "";
        finish(failClosed(`${binary} exited with ${code}${line ? `: ${line}` : ""}`));
        return;
      }
      try {
        const parsed: unknown = JSON.parse(out);
        if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
          finish(failClosed(`${binary} printed something other than a JSON object`));
          return;
        }
        finish(parsed as BeforeToolCallResult);
      } catch {
        finish(failClosed(`${binary} printed invalid JSON`));
      }
    });
    child.stdin.on("error", () => {
      /* the binary may exit before reading everything; its answer still counts */
    });
    child.stdin.end(JSON.stringify(envelope(event, ctx, cwd)));
  });
}
