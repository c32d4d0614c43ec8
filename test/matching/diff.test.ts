import { describe, expect, it } from "vitest";
import {
  changedLinesFromDiff,
  changedLinesFromPatches,
  CombinedDiffError,
  decodeGitPath,
  DiffParseError,
} from "../../src/matching/index.js";

describe("changedLinesFromDiff", () => {
  it("numbers added lines by the new file and removed lines by the old file", () => {
    const diff = [
      "diff --git a/src/a.ts b/src/a.ts",
      "index 1111111..2222222 100644",
      "--- a/src/a.ts",
      "+++ b/src/a.ts",
      "@@ -10,4 +10,5 @@ function f() {",
      " const a = 1",
      "-const b = 2",
      "+const b = 3",
      "+const c = 4",
      " const d = 5",
      " const e = 6",
      "@@ -40,2 +41,1 @@",
      " tail()",
      "-gone()",
      "",
    ].join("\n");
    expect(changedLinesFromDiff(diff)).toEqual([
      // `block`: the hunk header's section heading (the enclosing declaration), when git printed one
      { file: "src/a.ts", line: 11, side: "removed", text: "const b = 2", block: "function f() {" },
      { file: "src/a.ts", line: 11, side: "added", text: "const b = 3", block: "function f() {" },
      { file: "src/a.ts", line: 12, side: "added", text: "const c = 4", block: "function f() {" },
      { file: "src/a.ts", line: 41, side: "removed", text: "gone()" },
    ]);
  });

  it("uses the old path for deleted files and the new path for renames; skips binary files and pure renames", () => {
    const diff = [
      "diff --git a/old/name.py b/new/name.py",
      "similarity index 90%",
      "rename from old/name.py",
      "rename to new/name.py",
      "index 3333333..4444444 100644",
      "--- a/old/name.py",
      "+++ b/new/name.py",
      "@@ -1,2 +1,2 @@",
      " import posthog",
      "-x = 1",
      "+x = 2",
      "diff --git a/lib/gone.rb b/lib/gone.rb",
      "deleted file mode 100644",
      "index 5555555..0000000",
      "--- a/lib/gone.rb",
      "+++ /dev/null",
      "@@ -1,2 +0,0 @@",
      "-def gone",
      "-end",
      "diff --git a/assets/logo.png b/assets/logo.png",
      "index 6666666..7777777 100644",
      "Binary files a/assets/logo.png and b/assets/logo.png differ",
      "diff --git a/moved.txt b/elsewhere/moved.txt",
      "similarity index 100%",
      "rename from moved.txt",
      "rename to elsewhere/moved.txt",
      "diff --git a/docs/new.md b/docs/new.md",
      "new file mode 100644",
      "index 0000000..8888888",
      "--- /dev/null",
      "+++ b/docs/new.md",
      "@@ -0,0 +1 @@",
      "+# New",
    ].join("\n");
    expect(changedLinesFromDiff(diff)).toEqual([
      { file: "new/name.py", line: 2, side: "removed", text: "x = 1" },
      { file: "new/name.py", line: 2, side: "added", text: "x = 2" },
      { file: "lib/gone.rb", line: 1, side: "removed", text: "def gone" },
      { file: "lib/gone.rb", line: 2, side: "removed", text: "end" },
      { file: "docs/new.md", line: 1, side: "added", text: "# New" },
    ]);
  });

  it("drops '\\ No newline at end of file' markers and CRLF line ends", () => {
    const diff = [
      "diff --git a/a.txt b/a.txt",
      "--- a/a.txt",
      "+++ b/a.txt",
      "@@ -1 +1 @@",
      "-old",
      "\\ No newline at end of file",
      "+new",
      "\\ No newline at end of file",
      "",
    ].join("\r\n");
    expect(changedLinesFromDiff(diff)).toEqual([
      { file: "a.txt", line: 1, side: "removed", text: "old" },
      { file: "a.txt", line: 1, side: "added", text: "new" },
    ]);
  });

  it("keeps content lines that look like headers inside a hunk", () => {
    const diff = ["--- a/x.md", "+++ b/x.md", "@@ -1,2 +1,2 @@", "--- old rule", "+++ new rule", " same"].join("\n");
    expect(changedLinesFromDiff(diff)).toEqual([
      { file: "x.md", line: 1, side: "removed", text: "-- old rule" },
      { file: "x.md", line: 1, side: "added", text: "++ new rule" },
    ]);
  });

  it("returns [] for an empty diff and throws a DiffParseError for text that is not a diff", () => {
    expect(changedLinesFromDiff("")).toEqual([]);
    expect(changedLinesFromDiff("  \n")).toEqual([]);
    expect(() => changedLinesFromDiff("<html>Server Error</html>")).toThrow(DiffParseError);
    expect(() => changedLinesFromDiff(42 as unknown as string)).toThrow(/must be a string/);
    expect(() => changedLinesFromDiff("@@ -1 +1 @@\n-a\n+b")).toThrow(/no file name/);
  });
});

describe("changedLinesFromPatches (GitHub pulls.listFiles)", () => {
  it("parses hunk-only patches and skips files without a patch", () => {
    const files = [
      {
        filename: "src/a.ts",
        status: "modified",
        patch: "@@ -1,2 +1,2 @@ import x\n const a = 1\n-const f = 'old-cart'\n+const f = 'new-checkout'",
      },
      { filename: "img/logo.png", status: "added" },
      { filename: "big.json", status: "modified", patch: null },
      {
        filename: "src/new-name.ts",
        previous_filename: "src/old-name.ts",
        status: "renamed",
        patch: "@@ -5,2 +5,3 @@\n keep()\n+added()\n keep2()\n@@ -20,1 +21,0 @@\n-removed()",
      },
      { filename: "src/gone.ts", status: "removed", patch: "@@ -1,2 +0,0 @@\n-a\n-b" },
    ];
    expect(changedLinesFromPatches(files)).toEqual([
      { file: "src/a.ts", line: 2, side: "removed", text: "const f = 'old-cart'", block: "import x" },
      { file: "src/a.ts", line: 2, side: "added", text: "const f = 'new-checkout'", block: "import x" },
      { file: "src/new-name.ts", line: 6, side: "added", text: "added()" },
      { file: "src/new-name.ts", line: 20, side: "removed", text: "removed()" },
      { file: "src/gone.ts", line: 1, side: "removed", text: "a" },
      { file: "src/gone.ts", line: 2, side: "removed", text: "b" },
    ]);
  });

  it("throws a DiffParseError for entries without a filename or with a patch that has no hunk", () => {
    expect(() => changedLinesFromPatches([{ patch: "@@ -1 +1 @@\n-a\n+b" } as unknown as { filename: string }])).toThrow(
      DiffParseError,
    );
    expect(() => changedLinesFromPatches([{ filename: "a.ts", patch: "not a patch" }])).toThrow(/a\.ts has no hunk/);
  });
});

describe("git-quoted paths (issue 8: `caf\\303\\251.ts` was shown as is)", () => {
  // Recorded from `git diff --cached` (git 2.x, default core.quotePath) after adding café.ts, "sp ace.ts"
  // and a file named `tab\there.ts` (with a literal backslash).
  const QUOTED = [
    'diff --git "a/caf\\303\\251.ts" "b/caf\\303\\251.ts"',
    "index 7898192..4622259 100644",
    '--- "a/caf\\303\\251.ts"',
    '+++ "b/caf\\303\\251.ts"',
    "@@ -1 +1,2 @@",
    " a",
    "+posthog.isFeatureEnabled('billing')",
    "diff --git a/sp ace.ts b/sp ace.ts",
    "index 587be6b..b77b4eb 100644",
    "--- a/sp ace.ts\t",
    "+++ b/sp ace.ts\t",
    "@@ -1 +1,2 @@",
    " x",
    "+y",
    'diff --git "a/tab\\\\there.ts" "b/tab\\\\there.ts"',
    "new file mode 100644",
    "index 0000000..bca70f3",
    "--- /dev/null",
    '+++ "b/tab\\\\there.ts"',
    "@@ -0,0 +1 @@",
    "+q",
    "",
  ].join("\n");

  it("decodes octal UTF-8 bytes and C escapes to the repository's path", () => {
    expect(changedLinesFromDiff(QUOTED).map((l) => [l.file, l.line, l.text])).toEqual([
      ["café.ts", 2, "posthog.isFeatureEnabled('billing')"],
      ["sp ace.ts", 2, "y"],
      ["tab\\there.ts", 1, "q"],
    ]);
  });

  it("decodeGitPath handles multi-byte characters, escapes and plain paths", () => {
    expect(decodeGitPath("caf\\303\\251.ts")).toBe("café.ts");
    expect(decodeGitPath("\\346\\227\\245\\346\\234\\254/\\360\\237\\247\\252.md")).toBe("日本/🧪.md");
    expect(decodeGitPath('say \\"hi\\"\\ttab.txt')).toBe('say "hi"\ttab.txt');
    expect(decodeGitPath("src/plain.ts")).toBe("src/plain.ts");
  });

  it("leaves a backslash alone when the diff did not quote the path (not git's quoting)", () => {
    const diff = ["--- a/win\\path.txt", "+++ b/win\\path.txt", "@@ -1 +1 @@", "-a", "+b", ""].join("\n");
    expect(changedLinesFromDiff(diff).map((l) => l.file)).toEqual(["win\\path.txt", "win\\path.txt"]);
  });
});

describe("combined diffs (issue 8: `git show <merge>` was read as 'references no flag')", () => {
  // Recorded from `git show --format= <merge>` of a merge commit with a manual change (an "evil merge").
  const COMBINED = [
    "diff --cc sp ace.ts",
    "index b77b4eb,7ff1f4a..8418284",
    "--- a/sp ace.ts",
    "+++ b/sp ace.ts",
    "@@@ -1,2 -1,3 +1,4 @@@",
    "  x",
    "  y",
    "+ s2",
    "++posthog.isFeatureEnabled('new-checkout') // evil",
    "",
  ].join("\n");

  it("is rejected with a CombinedDiffError that says what to run instead", () => {
    expect(() => changedLinesFromDiff(COMBINED)).toThrow(CombinedDiffError);
    expect(() => changedLinesFromDiff(COMBINED)).toThrow(/combined diff.*git diff <merge>\^1 <merge>/);
    expect(() => changedLinesFromDiff(COMBINED.replace("diff --cc", "diff --combined"))).toThrow(DiffParseError);
  });

  it("a unified diff whose content mentions diff --cc is not mistaken for one", () => {
    const diff = ["--- a/notes.md", "+++ b/notes.md", "@@ -1 +1 @@", "-old", "+diff --cc is what git show prints", ""].join("\n");
    expect(changedLinesFromDiff(diff).map((l) => l.text)).toEqual(["old", "diff --cc is what git show prints"]);
  });
});
