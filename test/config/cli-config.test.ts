/**
 * The CLI's `--config`: bad keys are warned about compiler style (file:line:column) and the rest applies; a
 * file that is not YAML stops the command with exit 2 and its line and column, before any diff or PostHog
 * work.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, type CliIo } from "../../src/cli/main.js";

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const value: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readStdin: async () => "",
    stdinIsTTY: false,
    env: {},
  };
  return { io: value, out: () => out.join(""), err: () => err.join("") };
}

describe("experiment-hygiene --config", () => {
  it("exits 2 naming the line and column when the file is not YAML", async () => {
    const dir = mkdtempSync(join(tmpdir(), "eh-config-"));
    const file = join(dir, "hygiene.yml");
    writeFileSync(file, "decision:\n  alpha: 0.01\n  correction: [holm\n");
    const t = io();
    const code = await runCli(["pr", "-", "--config", file], t.io);
    expect(code).toBe(2);
    expect(t.out()).toBe("");
    expect(t.err()).toContain(`${file}:4:1: is not valid YAML: `);
  });
});
