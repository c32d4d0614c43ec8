/**
 * The suite must pass on a fresh clone with nothing beside it (issue #8): no source or test file may read a
 * path that climbs out of the repository, such as the team's `../shared/reference/`. Reference values the
 * tests use are copied into `test/fixtures/` with a note on their source. (`.ci/run` also runs the suite
 * from a bare clone, which catches any other way of reaching outside.)
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** A string literal naming `shared/` above the repository, or climbing more levels than the file is deep. */
function escapes(file: string, text: string): string[] {
  const depth = relative(ROOT, file).split(/[\\/]/).length - 1; // directories between the root and the file
  const found: string[] = [];
  for (const m of text.matchAll(/["'`]((?:\.\.\/)+)([^"'`\n]*)["'`]/g)) {
    const ups = m[1]!.length / 3;
    if (ups > depth || /^shared\//.test(m[2]!)) found.push(`${relative(ROOT, file)}: ${m[0]}`);
  }
  return found;
}

it("no source or test file reads a path outside the repository", () => {
  const self = fileURLToPath(import.meta.url);
  const files = [...tsFiles(join(ROOT, "src")), ...tsFiles(join(ROOT, "test"))].filter((f) => f !== self);
  expect(files.length).toBeGreaterThan(50);
  expect(files.flatMap((f) => escapes(f, readFileSync(f, "utf8")))).toEqual([]);
});

it("the check sees a read of ../shared (it can fail)", () => {
  const f = join(ROOT, "test", "app", "x.test.ts");
  const outside = ["..", "..", "..", "shared", "reference", "stats-vectors.json"].join("/"); // the team folder beside the clone
  expect(escapes(f, `import v from "${outside}";`)).toHaveLength(1);
  expect(escapes(f, 'import v from "../fixtures/stats-vectors.json";')).toEqual([]);
});
