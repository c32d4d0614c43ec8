import { describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/schema.js";
import type { ChangedLine } from "../../src/matching/index.js";
import { partitionByProject, projectOfPath } from "../../src/pipeline/projects.js";

const line = (file: string, n = 1): ChangedLine => ({ file, line: n, side: "added", text: "x" });

describe("monorepo project mapping", () => {
  const mappings = configSchema.parse({
    projects: [
      { paths: ["apps/web/**", "packages/ui/**"], project_id: 123 },
      { paths: ["apps/**"], project_id: 456 },
    ],
  }).projects;

  it("gives a path to the first mapping whose glob matches, else the default project", () => {
    const owner = projectOfPath(mappings, "1");
    expect(owner("apps/web/src/App.tsx")).toBe("123");
    expect(owner("packages/ui/Button.tsx")).toBe("123");
    expect(owner("apps/api/server.py")).toBe("456");
    expect(owner("apps/.hidden/x.ts")).toBe("456"); // dot files count
    expect(owner("services/billing/main.go")).toBe("1");
    expect(owner("apps-web/x.ts")).toBe("1");
  });

  it("groups lines by project, the default project first, keeping line order", () => {
    const lines = [line("apps/web/a.ts", 1), line("src/b.ts", 2), line("apps/api/c.ts", 3), line("apps/web/a.ts", 9), line("lib/d.ts")];
    const groups = partitionByProject(lines, mappings, "1");
    expect([...groups.keys()]).toEqual(["1", "123", "456"]);
    expect(groups.get("123")!.map((l) => l.line)).toEqual([1, 9]);
    expect(groups.get("1")!.map((l) => l.file)).toEqual(["src/b.ts", "lib/d.ts"]);
  });

  it("without mappings, everything belongs to the default project", () => {
    expect([...partitionByProject([line("a.ts"), line("apps/web/b.ts")], [], "7").keys()]).toEqual(["7"]);
  });

  it("the config refuses a mapping without paths or with a non-numeric project", () => {
    expect(configSchema.safeParse({ projects: [{ paths: [], project_id: 1 }] }).success).toBe(false);
    expect(configSchema.safeParse({ projects: [{ paths: ["a/**"], project_id: "web" }] }).success).toBe(false);
    expect(configSchema.safeParse({ checks: { block_on: ["removes-last-exposure", "unknown-variant"] } }).success).toBe(true);
    expect(configSchema.safeParse({ checks: { block_on: ["typo-kind"] } }).success).toBe(false);
    expect(configSchema.parse({}).checks).toEqual({ enabled: true, block_on: [] });
  });
});
