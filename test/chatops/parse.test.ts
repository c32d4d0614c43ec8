import { describe, expect, it } from "vitest";
import {
  commandLines,
  FINDING_KINDS,
  MAX_LINE_CHARS,
  MAX_REASON_CHARS,
  parseCommandLine,
  parseComment,
  USAGE,
  type ChatCommand,
  type ParsedComment,
  type Target,
} from "../../src/chatops/parse.js";
import { mulberry32 } from "../support/random.js";

const flag = (key: string): Target => ({ kind: "flag", key, raw: key });
const id = (n: number, raw = String(n)): Target => ({ kind: "id", id: n, raw });
const usage = (problem: string): ChatCommand => ({ name: "usage", problem });
const found = (line: string, command: ChatCommand, ignoredCommands = 0): ParsedComment => ({
  command,
  line,
  ignoredCommands,
});
const noOptions = { confirm: false, force: false, disableFlag: false };
const KINDS = "expected one of srm, contamination, stall, mutation, broken-metric, zombie, decided-still-running, stale-variants";
const DAYS = "snooze needs a number of days from 1 to 365 (e.g. 7 or 7d)";

const longKey = "k".repeat(500);

const cases: Array<[string, unknown, ParsedComment | null]> = [
  // help
  ["bare command", "/experiment", found("/experiment", { name: "help" })],
  ["help", "/experiment help", found("/experiment help", { name: "help" })],
  [
    "help is case-insensitive and ignores extra tokens",
    "/Experiment HELP me --confirm",
    found("/Experiment HELP me --confirm", { name: "help" }),
  ],
  // status
  ["status without target", "/experiment status", found("/experiment status", { name: "status", target: null })],
  [
    "status with a flag key (case kept)",
    "/experiment STATUS New-Checkout_v2",
    found("/experiment STATUS New-Checkout_v2", { name: "status", target: flag("New-Checkout_v2") }),
  ],
  ["status with #id", "/experiment status #123", found("/experiment status #123", { name: "status", target: id(123, "#123") })],
  ["status with id 0", "/experiment status 0", found("/experiment status 0", usage('experiment id "0" must be a positive whole number'))],
  ["status with #0", "/experiment status #000", found("/experiment status #000", usage('experiment id "#000" must be a positive whole number'))],
  [
    "status with two targets",
    "/experiment status a b",
    found("/experiment status a b", usage('unexpected extra argument "b" for status')),
  ],
  ["status with an unknown option", "/experiment status --bogus", found("/experiment status --bogus", usage('unknown option "--bogus" for status'))],
  [
    "16 digits are not an id but are a valid flag key",
    "/experiment status 1234567890123456",
    found("/experiment status 1234567890123456", { name: "status", target: flag("1234567890123456") }),
  ],
  // analyze
  ["analyze an id", "/experiment analyze 0101", found("/experiment analyze 0101", { name: "analyze", target: id(101, "0101") })],
  ["analyze without target", "/experiment analyze", found("/experiment analyze", usage("analyze needs a feature flag key or experiment id"))],
  [
    "analyze with a bad key",
    "/experiment analyze checkout.v2",
    found("/experiment analyze checkout.v2", usage('"checkout.v2" is not a feature flag key or experiment id')),
  ],
  [
    "analyze with #abc",
    "/experiment analyze #abc",
    found("/experiment analyze #abc", usage('"#abc" is not a feature flag key or experiment id')),
  ],
  [
    "analyze with a key over 400 characters",
    `/experiment analyze ${longKey}`,
    found(`/experiment analyze ${longKey}`, usage(`"${"k".repeat(59)}…" is not a feature flag key or experiment id`)),
  ],
  [
    "analyze with a change option",
    "/experiment analyze --confirm checkout",
    found(
      "/experiment analyze --confirm checkout",
      usage('option "--confirm" is not accepted by analyze (only promote and rollback take options)'),
    ),
  ],
  [
    "zero-width characters are echoed as escapes",
    "/experiment analyze \u200Bcheckout\u0000",
    found("/experiment analyze \u200Bcheckout\u0000", usage('"\\u200bcheckout\\u0000" is not a feature flag key or experiment id')),
  ],
  // promote
  [
    "promote with a variant and --confirm",
    "/experiment promote New_Checkout Test-B --confirm",
    found("/experiment promote New_Checkout Test-B --confirm", {
      name: "promote",
      target: flag("New_Checkout"),
      variant: "Test-B",
      ...noOptions,
      confirm: true,
    }),
  ],
  [
    "promote with every option anywhere, any case",
    "/experiment Promote --FORCE #42 --disable-flag --Confirm",
    found("/experiment Promote --FORCE #42 --disable-flag --Confirm", {
      name: "promote",
      target: id(42, "#42"),
      variant: null,
      confirm: true,
      force: true,
      disableFlag: true,
    }),
  ],
  ["promote without options", "/experiment promote 7", found("/experiment promote 7", { name: "promote", target: id(7), variant: null, ...noOptions })],
  ["promote without target", "/experiment promote --confirm", found("/experiment promote --confirm", usage("promote needs a feature flag key or experiment id"))],
  ["promote with an unknown option", "/experiment promote x --foo", found("/experiment promote x --foo", usage('unknown option "--foo" for promote'))],
  ["promote with --confirm=yes", "/experiment promote x --confirm=yes", found("/experiment promote x --confirm=yes", usage('unknown option "--confirm=yes" for promote'))],
  ["promote with an extra positional", "/experiment promote x a b", found("/experiment promote x a b", usage('unexpected extra argument "b" for promote'))],
  [
    "promote with a bad variant",
    "/experiment promote x test/b",
    found("/experiment promote x test/b", usage('"test/b" is not a variant key (letters, digits, "-" and "_" only)')),
  ],
  // rollback
  [
    "rollback with --force",
    "/experiment rollback #7 --force",
    found("/experiment rollback #7 --force", { name: "rollback", target: id(7, "#7"), ...noOptions, force: true }),
  ],
  [
    "rollback takes no variant",
    "/experiment rollback x control",
    found("/experiment rollback x control", usage('unexpected extra argument "control" for rollback (it takes no variant)')),
  ],
  ["rollback without target", "/experiment rollback", found("/experiment rollback", usage("rollback needs a feature flag key or experiment id"))],
  ["rollback with an unknown option", "/experiment rollback x --yes", found("/experiment rollback x --yes", usage('unknown option "--yes" for rollback'))],
  // ack
  [
    "ack with a reason kept verbatim (spacing and -- inside)",
    "/experiment ack 101 srm  split changed on purpose  --force  see #42   ",
    found("/experiment ack 101 srm  split changed on purpose  --force  see #42", {
      name: "ack",
      target: id(101),
      findingKind: "srm",
      reason: "split changed on purpose  --force  see #42",
    }),
  ],
  [
    "ack kind case-insensitive with _ for -",
    "/experiment ack checkout Broken_Metric",
    found("/experiment ack checkout Broken_Metric", { name: "ack", target: flag("checkout"), findingKind: "broken-metric", reason: null }),
  ],
  ["ack with an unknown kind", "/experiment ack checkout nope", found("/experiment ack checkout nope", usage(`unknown finding kind "nope"; ${KINDS}`))],
  ["ack without kind", "/experiment ack checkout", found("/experiment ack checkout", usage(`ack needs a finding kind (${KINDS})`))],
  ["ack without target", "/experiment ack", found("/experiment ack", usage("ack needs a feature flag key or experiment id"))],
  [
    "ack with an option where the target goes",
    "/experiment ack --force srm",
    found("/experiment ack --force srm", usage('option "--force" is not accepted by ack (only promote and rollback take options)')),
  ],
  // snooze
  [
    "snooze 7d",
    "/experiment snooze 101 stall 7d",
    found("/experiment snooze 101 stall 7d", { name: "snooze", target: id(101), findingKind: "stall", days: 7 }),
  ],
  [
    "snooze 365",
    "/experiment SNOOZE flag DECIDED-STILL-RUNNING 365",
    found("/experiment SNOOZE flag DECIDED-STILL-RUNNING 365", { name: "snooze", target: flag("flag"), findingKind: "decided-still-running", days: 365 }),
  ],
  ["snooze 0", "/experiment snooze 101 stall 0", found("/experiment snooze 101 stall 0", usage(`0 days is out of range; ${DAYS}`))],
  ["snooze 366d", "/experiment snooze 101 stall 366d", found("/experiment snooze 101 stall 366d", usage(`366d days is out of range; ${DAYS}`))],
  [
    "snooze with a huge number",
    "/experiment snooze 1 zombie 99999999999999999999999",
    found("/experiment snooze 1 zombie 99999999999999999999999", usage(`99999999999999999999999 days is out of range; ${DAYS}`)),
  ],
  ["snooze with words", "/experiment snooze 101 stall week", found("/experiment snooze 101 stall week", usage(`"week" is not a number of days; ${DAYS}`))],
  ["snooze with -7", "/experiment snooze 101 stall -7", found("/experiment snooze 101 stall -7", usage(`"-7" is not a number of days; ${DAYS}`))],
  ["snooze without days", "/experiment snooze 101 stall", found("/experiment snooze 101 stall", usage(DAYS))],
  ["snooze with an extra token", "/experiment snooze 101 stall 7 more", found("/experiment snooze 101 stall 7 more", usage('unexpected extra argument "more" for snooze'))],
  [
    "snooze with an option",
    "/experiment snooze 101 stall 7 --force",
    found("/experiment snooze 101 stall 7 --force", usage('option "--force" is not accepted by snooze (only promote and rollback take options)')),
  ],
  // unknown command
  ["unknown command", "/experiment deploy x", found("/experiment deploy x", usage('unknown command "deploy"'))],
  ["option as command", "/experiment --help", found("/experiment --help", usage('unknown command "--help"'))],
  // not commands
  ["/experimental", "/experimental help", null],
  ["/experiments", "/experiments", null],
  ["mid-line", "please run /experiment help", null],
  ["zero-width glued", "/experiment\u200Bhelp", null],
  ["empty", "", null],
  ["null", null, null],
  ["undefined", undefined, null],
  ["number", 42, null],
  // line endings and white space
  ["CRLF", "Thanks!\r\n/experiment status x\r\n", found("/experiment status x", { name: "status", target: flag("x") })],
  ["lone CR", "Thanks!\r/experiment analyze 5\r", found("/experiment analyze 5", { name: "analyze", target: id(5) })],
  [
    "NBSP and tabs separate tokens",
    "/experiment\u00A0status\t\u00A0checkout",
    found("/experiment\u00A0status\t\u00A0checkout", { name: "status", target: flag("checkout") }),
  ],
  ["3 leading spaces", "   /experiment help  ", found("/experiment help", { name: "help" })],
  ["4 leading spaces are indented code", "    /experiment help", null],
  ["a leading tab is indented code", "\t/experiment help", null],
  ["2 spaces and a tab are indented code", "  \t/experiment help", null],
  // quotes
  ["quoted", "> /experiment promote x --confirm", null],
  ["quoted after 3 spaces, no space after >", "   >/experiment help", null],
  ["quote with a fence does not open a fence", "> ```\n/experiment status", found("/experiment status", { name: "status", target: null })],
  // fences
  ["backtick fence", "```\n/experiment help\n```", null],
  ["tilde fence, command after it", "~~~\n/experiment help\n~~~\n/experiment status", found("/experiment status", { name: "status", target: null })],
  [
    "longer fence holds a shorter one",
    "````md\n```\n/experiment help\n```\n````\n/experiment analyze 5",
    found("/experiment analyze 5", { name: "analyze", target: id(5) }),
  ],
  ["closing fence must use the same character", "```\n/experiment help\n~~~\n/experiment status", null],
  ["closing fence cannot have an info string", "```js\n/experiment help\n``` js\n/experiment status", null],
  ["closing fence may be longer", "~~~\n/experiment help\n~~~~~  \n/experiment status", found("/experiment status", { name: "status", target: null })],
  ["unclosed fence runs to the end", "text\n  ~~~~\n/experiment help\n/experiment status", null],
  ["inline code with backticks is not a fence", "```x```\n/experiment help", found("/experiment help", { name: "help" })],
  ["indented fence (3 spaces)", "   ```\n/experiment help\n   ```", null],
  // HTML comments (invisible on GitHub)
  ["HTML comment block", "<!--\n/experiment promote x --confirm\n-->\n/experiment status", found("/experiment status", { name: "status", target: null })],
  ["one-line HTML comment", "<!-- /experiment help -->", null],
  ["unclosed HTML comment", "<!-- template\n/experiment help", null],
  // several commands
  [
    "only the first command runs",
    "/experiment status a\nsome text\n/experiment help\n/EXPERIMENT analyze b\n> /experiment help\n/experimental",
    found("/experiment status a", { name: "status", target: flag("a") }, 2),
  ],
  ["a usage command counts as first", "/experiment bogus\n/experiment help", found("/experiment bogus", usage('unknown command "bogus"'), 1)],
];

describe("parseComment: table", () => {
  it.each(cases)("%s", (_name, body, expected) => {
    expect(parseComment(body)).toEqual(expected);
  });

  it("cuts long lines and ack reasons", () => {
    const body = `/experiment ack 1 srm ${"r".repeat(2000)}`;
    const parsed = parseComment(body);
    expect(parsed?.line).toBe(body.slice(0, MAX_LINE_CHARS));
    expect(parsed?.command).toEqual({ name: "ack", target: id(1), findingKind: "srm", reason: "r".repeat(MAX_REASON_CHARS) });
  });

  it("does not split a surrogate pair when cutting a reason", () => {
    const reason = `${"a".repeat(MAX_REASON_CHARS - 1)}🧪🧪`;
    const parsed = parseComment(`/experiment ack 1 zombie ${reason}`);
    expect(parsed?.command).toEqual({ name: "ack", target: id(1), findingKind: "zombie", reason: "a".repeat(MAX_REASON_CHARS - 1) });
  });

  it("echoes a 60-character token whole and cuts a 61-character one", () => {
    const t60 = "x.".repeat(30);
    expect(parseCommandLine(`/experiment analyze ${t60}`)).toEqual(usage(`"${t60}" is not a feature flag key or experiment id`));
    expect(parseCommandLine(`/experiment analyze ${t60}y`)).toEqual(usage(`"${t60.slice(0, 59)}…" is not a feature flag key or experiment id`));
  });
});

describe("parseCommandLine", () => {
  it.each(["/experiments", "/experimental", "text /experiment", "experiment help", "/ experiment", "", "/experiment\u200B"])(
    "%j is not a command line",
    (line) => {
      expect(parseCommandLine(line)).toBeNull();
    },
  );

  it("parses a line with surrounding white space", () => {
    expect(parseCommandLine("\t /experiment rollback checkout --disable-flag \n")).toEqual({
      name: "rollback",
      target: flag("checkout"),
      ...noOptions,
      disableFlag: true,
    });
  });
});

describe("commandLines", () => {
  it("keeps ordinary lines and blank lines, drops code, quotes and HTML comments", () => {
    const body = [
      "intro",
      "",
      "> quoted",
      "```",
      "fenced",
      "```",
      "    indented",
      "<!-- hidden",
      "still hidden -->",
      "outro",
    ].join("\r\n");
    expect(commandLines(body)).toEqual(["intro", "", "outro"]);
  });
});

describe("USAGE", () => {
  it("has one line per command, help first", () => {
    const names = USAGE.map((line) => /^\/experiment (\w+)/.exec(line)?.[1]);
    expect(names).toEqual(["help", "status", "analyze", "promote", "rollback", "ack", "snooze", "autopilot"]);
  });
});

// -----------------------------------------------------------------------------------------------------------
// Generated input
// -----------------------------------------------------------------------------------------------------------


const PIECES = [
  "/experiment",
  "/EXPERIMENT",
  "/Experiment",
  "/experimental",
  "/experiments",
  "\n/experiment ",
  "help",
  "status",
  "analyze",
  "promote",
  "rollback",
  "ack",
  "snooze",
  "Snooze",
  "deploy",
  "--confirm",
  "--force",
  "--disable-flag",
  "--DISABLE-FLAG",
  "--",
  "-",
  "_",
  "0",
  "7",
  "42",
  "365",
  "366",
  "7d",
  "123456789012345",
  "1234567890123456",
  "#",
  "#0",
  "#101",
  "new-checkout",
  "Flag_Key",
  ...FINDING_KINDS,
  "broken_metric",
  "Stale_Variants",
  "`",
  "```",
  "````",
  "~",
  "~~~",
  "~~~~",
  ">",
  "> ",
  "<!--",
  "-->",
  " ",
  "  ",
  "   ",
  "    ",
  "\t",
  "\n",
  "\n",
  "\n",
  "\r",
  "\r\n",
  "\u00A0",
  "\u2003",
  "\u3000",
  "\u2028",
  "🧪",
  "👍🏽",
  "\u202E",
  "שלום",
  "مرحبا",
  "\u200B",
  "\u200D",
  "\uFEFF",
  "\u0000",
  "\u0007",
  "\uD800",
  "\uDC00",
  "x".repeat(1200),
  " ".repeat(300),
  "`".repeat(12),
  "9".repeat(40),
  "a",
  "Z",
  ".",
  "=",
];

/** Tokens for generated command lines: valid and invalid arguments of every command. */
const TOKENS = [
  "help",
  "status",
  "analyze",
  "promote",
  "rollback",
  "ack",
  "snooze",
  "ACK",
  "deploy",
  "--confirm",
  "--force",
  "--disable-flag",
  "--Force",
  "--nope",
  "0",
  "#0",
  "7",
  "7d",
  "365",
  "400",
  "#101",
  "123456789012345",
  "new-checkout",
  "Flag_Key",
  "test",
  "control",
  ...FINDING_KINDS,
  "broken_metric",
  "reason",
  "--",
  "a.b",
  "🧪",
  "\u200Bx",
  "x".repeat(450),
];
const SEPARATORS = [" ", " ", " ", "  ", "\t", "\u00A0", "\u3000"];
const LINE_PREFIXES = ["", "", "", " ", "   ", "    ", "\t", "> ", "text "];

const TARGETS = ["#101", "42", "0", "#0", "new-checkout", "Flag_Key", "a.b", "123456789012345", "x".repeat(450)];
const KIND_TOKENS = [...FINDING_KINDS, "Broken_Metric", "SRM", "nope"];
const DAY_TOKENS = ["1", "7d", "365", "366", "0", "week"];
const OPTIONS = ["--confirm", "--force", "--disable-flag", "--Force", "--nope"];
/** Argument slots per subcommand, so that every command is generated valid as well as broken. */
const GRAMMAR: ReadonlyArray<readonly (readonly string[])[]> = [
  [["help", "HELP"]],
  [["status"], TARGETS],
  [["analyze"], TARGETS],
  [["promote", "Promote"], TARGETS, ["test", "control", "a/b"], OPTIONS, OPTIONS],
  [["rollback"], OPTIONS, TARGETS, OPTIONS],
  [["ack", "ACK"], TARGETS, KIND_TOKENS, ["because", "--force", "🧪 ok"]],
  [["snooze"], TARGETS, KIND_TOKENS, DAY_TOKENS],
];

const pick = <T>(rand: () => number, list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;

/** A body of random lines: about half are command-like lines, the rest random pieces (fences, quotes, unicode…). */
function randomBody(rand: () => number): string {
  const lines = Math.floor(rand() * 8);
  let body = "";
  for (let l = 0; l < lines; l++) {
    if (rand() < 0.5) {
      body += pick(rand, LINE_PREFIXES) + pick(rand, ["/experiment", "/experiment", "/EXPERIMENT", "/experimental"]);
      if (rand() < 0.6) {
        for (const slot of pick(rand, GRAMMAR)) if (rand() < 0.9) body += pick(rand, SEPARATORS) + pick(rand, slot);
      }
      const args = Math.floor(rand() * 4);
      for (let a = 0; a < args; a++) if (rand() < 0.3) body += pick(rand, SEPARATORS) + pick(rand, TOKENS);
    } else {
      const n = Math.floor(rand() * 12);
      for (let i = 0; i < n; i++) body += pick(rand, PIECES);
    }
    body += pick(rand, ["\n", "\n", "\r\n", "\r", ""]);
  }
  return body;
}

const KEY_RE = /^[A-Za-z0-9_-]{1,400}$/;
const NAMES = new Set(["help", "status", "analyze", "promote", "rollback", "ack", "snooze", "usage"]);

function checkTarget(target: Target): void {
  if (target.kind === "id") {
    expect(Number.isSafeInteger(target.id) && target.id > 0, target.raw).toBe(true);
  } else {
    expect(target.key).toMatch(KEY_RE);
    expect(target.raw).toBe(target.key);
  }
}

function checkParsed(parsed: ParsedComment | null): void {
  if (parsed === null) return;
  const { command, line, ignoredCommands } = parsed;
  expect(NAMES.has(command.name), command.name).toBe(true);
  expect(line.length).toBeLessThanOrEqual(MAX_LINE_CHARS);
  expect(line.slice(0, 11).toLowerCase()).toBe("/experiment");
  expect(Number.isSafeInteger(ignoredCommands) && ignoredCommands >= 0).toBe(true);
  switch (command.name) {
    case "status":
      if (command.target !== null) checkTarget(command.target);
      break;
    case "analyze":
    case "rollback":
      checkTarget(command.target);
      break;
    case "promote":
      checkTarget(command.target);
      if (command.variant !== null) expect(command.variant).toMatch(KEY_RE);
      break;
    case "ack":
      checkTarget(command.target);
      expect(FINDING_KINDS).toContain(command.findingKind);
      if (command.reason !== null) {
        expect(command.reason.length).toBeGreaterThan(0);
        expect(command.reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
      }
      break;
    case "snooze":
      checkTarget(command.target);
      expect(FINDING_KINDS).toContain(command.findingKind);
      expect(Number.isInteger(command.days) && command.days >= 1 && command.days <= 365).toBe(true);
      break;
    case "usage":
      expect(command.problem?.length ?? 1).toBeGreaterThan(0);
      break;
    case "help":
      break;
  }
}

/** The longest run of backticks in `s`. */
function longestBacktickRun(s: string): number {
  let best = 0;
  let run = 0;
  for (const ch of s) {
    run = ch === "`" ? run + 1 : 0;
    best = Math.max(best, run);
  }
  return best;
}

describe("parseComment: generated input", () => {
  const rand = mulberry32(20261121);
  const bodies = Array.from({ length: 6000 }, () => randomBody(rand));

  it("never throws and returns well-formed results", () => {
    let commands = 0;
    const names = new Set<string>();
    for (const body of bodies) {
      let parsed: ParsedComment | null = null;
      expect(() => {
        parsed = parseComment(body);
      }, JSON.stringify(body)).not.toThrow();
      checkParsed(parsed);
      const p = parsed as ParsedComment | null;
      if (p !== null) {
        commands += 1;
        names.add(p.command.name);
      }
    }
    // The generator must actually reach the parser's branches, or the checks above prove nothing.
    expect(commands).toBeGreaterThan(1000);
    expect([...names].sort()).toEqual([...NAMES].sort());
  });

  it("finds no command inside a fence that wraps the whole body", () => {
    for (const body of bodies) {
      const fence = "`".repeat(Math.max(3, longestBacktickRun(body) + 1));
      expect(parseComment(`${fence}\n${body}\n${fence}`), JSON.stringify(body)).toBeNull();
      // An unclosed fence runs to the end.
      expect(parseComment(`${fence}\n${body}`), JSON.stringify(body)).toBeNull();
    }
  });

  it("finds no command when every line is quoted", () => {
    for (const body of bodies) {
      const quoted = body
        .split(/\r\n|\r|\n/)
        .map((line) => `> ${line}`)
        .join("\n");
      expect(parseComment(quoted), JSON.stringify(body)).toBeNull();
    }
  });

  it("gives the same result for LF and CRLF line endings", () => {
    for (const body of bodies) {
      const lf = body.replace(/\r/g, "");
      expect(parseComment(lf.replace(/\n/g, "\r\n")), JSON.stringify(lf)).toEqual(parseComment(lf));
    }
  });
});

describe("parseComment: performance", () => {
  const MB = 1024 * 1024;
  const bodies: Array<[string, string]> = [
    ["1 MB of command lines", "/experiment ack 1 srm reason here\n".repeat(MB / 34)],
    ["1 MB of mixed lines", "> q\n```\ncode\n```\n<!-- c -->\n    x\ntext `a` b\n".repeat(MB / 46)],
    ["a single 1 MB command line", `/experiment ack 1 srm ${"a ".repeat(MB / 2)}`],
    ["a single 1 MB line of spaces before the command", `${" ".repeat(MB)}/experiment help`],
    ["a single 1 MB line of backticks", "`".repeat(MB)],
    ["a single 1 MB token", `/experiment analyze ${"x".repeat(MB)}`],
    ["1 MB of fence openers", "```\n".repeat(MB / 4)],
    ["1 MB of <!--", "<!--".repeat(MB / 4)],
    ["1 MB of newlines", "\n".repeat(MB)],
    ["1 MB of CR", "\r".repeat(MB)],
    ["1 MB of NBSP", `/experiment${"\u00A0".repeat(MB)}status`],
  ];

  // Linear time takes milliseconds here; quadratic time or regex backtracking on 1 MB would take minutes.
  it.each(bodies)("%s parses in well under two seconds", (_name, body) => {
    const start = performance.now();
    const parsed = parseComment(body);
    const ms = performance.now() - start;
    checkParsed(parsed);
    expect(ms).toBeLessThan(2000);
  });

  it("counts every further command in a large body", () => {
    const parsed = parseComment("/experiment ack 1 srm reason here\n".repeat(30_000));
    expect(parsed?.ignoredCommands).toBe(29_999);
  });
});

describe("autopilot off|on", () => {
  it("parses off and on, with and without a target", () => {
    expect(parseCommandLine("/experiment autopilot off")).toEqual({ name: "autopilot", enabled: false, target: null });
    expect(parseCommandLine("/experiment AUTOPILOT On 42")).toEqual({ name: "autopilot", enabled: true, target: { kind: "id", id: 42, raw: "42" } });
    expect(parseCommandLine("/experiment autopilot off new-checkout")).toEqual({
      name: "autopilot",
      enabled: false,
      target: { kind: "flag", key: "new-checkout", raw: "new-checkout" },
    });
  });

  it("rejects a missing switch, a wrong word, options and extra arguments", () => {
    expect(parseCommandLine("/experiment autopilot")).toEqual({ name: "usage", problem: "autopilot needs off or on" });
    expect(parseCommandLine("/experiment autopilot maybe")).toMatchObject({ name: "usage", problem: '"maybe" is not off or on' });
    expect(parseCommandLine("/experiment autopilot off --force")).toMatchObject({ name: "usage" });
    expect(parseCommandLine("/experiment autopilot off 1 2")).toMatchObject({ name: "usage", problem: 'unexpected extra argument "2" for autopilot' });
  });
});
