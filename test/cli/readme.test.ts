/** The README shows the demo's real output: this fails when the demo changes and the README does not. */
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";

it("README's demo section is the current output of `npm run demo`", async () => {
  let out = "";
  const code = await runCli(["demo"], {
    stdout: (t) => (out += t),
    stderr: () => {},
    readStdin: async () => "",
    stdinIsTTY: true,
    env: {},
  });
  expect(code).toBe(0);
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const start = readme.indexOf("<!-- demo-output:start -->");
  const end = readme.indexOf("<!-- demo-output:end -->");
  expect(start).toBeGreaterThan(0);
  expect(readme.slice(start + "<!-- demo-output:start -->".length, end).trim()).toBe(out.trim());
});
