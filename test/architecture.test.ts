/**
 * Structural rules of the code base (docs/architecture.md): the adapters (`src/github/`, `src/posthog/`)
 * do not import the domain, and the Probot handlers in `src/app/` stay wiring only. Reads the source files'
 * import lines; fails naming the file and the offending import.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = new URL("../src/", import.meta.url).pathname;

/** The folders of the domain: pure analysis, rendering, and the pipelines orchestrating them. */
const DOMAIN = ["chatops", "pipeline", "render", "detectors", "decision", "stats", "matching", "records", "autopilot"];

function tsFiles(folder: string): string[] {
  return readdirSync(join(SRC, folder))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => `${folder}/${f}`)
    .sort();
}

/** Module specifiers of every `import … from`, `export … from` and `import("…")` in a source text. */
export function importSpecifiers(text: string): string[] {
  const out: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|(?:^|\n)\s*import\s*["']([^"']+)["']/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

/** The domain folder an adapter's relative import reaches, or null. */
function domainFolder(specifier: string): string | null {
  const m = /^\.\.\/([^/]+)\//.exec(specifier);
  return m && DOMAIN.includes(m[1]!) ? m[1]! : null;
}

function lineCount(file: string): number {
  return readFileSync(join(SRC, file), "utf8").split("\n").length;
}

describe("import scanner", () => {
  it("finds static, multi-line, type-only, re-export and dynamic imports", () => {
    const text = [
      'import type { A } from "../render/a.js";',
      "import {",
      "  b,",
      "  c,",
      '} from "../chatops/plan.js";',
      'export { d } from "../matching/index.js";',
      'const e = await import("../pipeline/x.js");',
      'import "./side-effect.js";',
      'const s = "not an import from \\"../render/z.js\\"";',
    ].join("\n");
    expect(importSpecifiers(text)).toEqual(["../render/a.js", "../chatops/plan.js", "../matching/index.js", "../pipeline/x.js", "./side-effect.js"]);
    expect(importSpecifiers(text).map(domainFolder)).toEqual(["render", "chatops", "matching", "pipeline", null]);
  });
});

describe("adapters do not import the domain", () => {
  const adapters = [...tsFiles("github"), ...tsFiles("posthog")];

  it("scans the adapter folders", () => {
    expect(adapters).toContain("github/chatops.ts");
    expect(adapters).toContain("posthog/capture.ts");
  });

  it.each(adapters)("%s", (file) => {
    const offending = importSpecifiers(readFileSync(join(SRC, file), "utf8")).filter((s) => domainFolder(s) !== null);
    expect(offending, `${file} imports the domain`).toEqual([]);
  });
});

describe("src/app is wiring only", () => {
  /** The `/experiment` handler: Probot payload in, chat-ops pipeline call, log. */
  const ISSUE_COMMENT_MAX_LINES = 150;
  /** Any handler module; today's largest (the app's event wiring in index.ts) is well below. */
  const APP_MAX_LINES = 400;

  it(`src/app/issue-comment.ts has at most ${ISSUE_COMMENT_MAX_LINES} lines`, () => {
    expect(lineCount("app/issue-comment.ts")).toBeLessThanOrEqual(ISSUE_COMMENT_MAX_LINES);
  });

  it("src/app/issue-comment.ts leaves parsing, planning and rendering to the chat-ops pipeline", () => {
    const imports = importSpecifiers(readFileSync(join(SRC, "app/issue-comment.ts"), "utf8"));
    expect(imports.filter((s) => ["chatops", "render", "decision", "detectors", "matching", "stats"].includes(domainFolder(s) ?? ""))).toEqual([]);
    expect(imports).toContain("../pipeline/chatops.js");
  });

  it.each(tsFiles("app"))(`%s has at most ${APP_MAX_LINES} lines`, (file) => {
    expect(lineCount(file)).toBeLessThanOrEqual(APP_MAX_LINES);
  });
});
