import { describe, expect, it } from "vitest";
import {
  code,
  escapeMarkdown,
  fitBody,
  formatLift,
  formatPValue,
  GITHUB_BODY_LIMIT,
  link,
  marker,
  neutralizeMentions,
} from "../../src/render/markdown.js";

describe("escapeMarkdown", () => {
  it.each([
    ["@octocat please look", "@\u200Boctocat please look"],
    ["@org/team", "@\u200Borg/team"],
    ["<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"],
    ["**bold** _it_ `code`", "\\*\\*bold\\*\\* \\_it\\_ \\`code\\`"],
    ["[x](https://evil.example)", "\\[x\\](https:\u200B//evil.example)"],
    ["a | b", "a \\| b"],
    ["# heading", "\\# heading"],
    ["$x^2$", "\\$x^2\\$"],
    ["line1\nline2", "line1 line2"],
    ["fix #123", "fix \\#123"],
  ])("escapes %j", (input, expected) => {
    expect(escapeMarkdown(input)).toBe(expected);
  });

  it("renders null and undefined as empty text", () => {
    expect(escapeMarkdown(null)).toBe("");
    expect(escapeMarkdown(undefined)).toBe("");
  });
});

describe("code, link, marker", () => {
  it("picks a fence longer than any backtick run inside", () => {
    expect(code("a`b")).toBe("``a`b``");
    expect(code("`x`")).toBe("`` `x` ``");
    expect(code("@dev")).toBe("`@\u200Bdev`");
  });

  it("links only http(s) URLs and escapes the label", () => {
    expect(link("New *checkout*", "https://us.posthog.com/project/1/experiments/2")).toBe(
      "[New \\*checkout\\*](https://us.posthog.com/project/1/experiments/2)",
    );
    expect(link("x", "javascript:alert(1)")).toBe("x");
    expect(link("x", "https://h/a(b)")).toBe("[x](https://h/a%28b%29)");
    expect(link("x", null)).toBe("x");
  });

  it("refuses marker payloads that would end the comment early", () => {
    expect(marker("experiment-hygiene:pr")).toBe("<!-- experiment-hygiene:pr -->");
    expect(() => marker("a-->b")).toThrow();
  });

  it("neutralizes mentions without touching e-mail-like text before the @", () => {
    expect(neutralizeMentions("mail a@b.c")).toBe("mail a@\u200Bb.c");
  });
});

describe("fitBody", () => {
  it("keeps bodies that fit and cuts long ones at a line boundary under the limit", () => {
    expect(fitBody("short")).toBe("short");
    const long = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${"x".repeat(10)}`).join("\n");
    const cut = fitBody(long);
    expect(cut.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    expect(cut).toContain("cut to fit");
    expect(cut.split("\n").slice(0, -3).every((l) => l === "" || /^line \d+ x{10}$/.test(l))).toBe(true);
  });
});

describe("number formats", () => {
  it.each([
    [0.0421, "0.0421"],
    [0.5, "0.5"],
    [0.00032, "3.2e-4"],
    [1.2e-219, "1.2e-219"],
    [0, "< 1e-300"],
  ])("formats p = %s as %s", (p, s) => expect(formatPValue(p)).toBe(s));

  it.each([
    [0.1234, "+12.3%"],
    [-0.17, "−17.0%"],
    [0, "±0.0%"],
  ])("formats lift %s as %s", (f, s) => expect(formatLift(f)).toBe(s));
});
