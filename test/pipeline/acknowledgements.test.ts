/**
 * The acknowledgement store of `/experiment ack|snooze` kept in the dashboard issue: finding keys, the
 * hidden marker (round trip with hostile reasons), lenient parsing that drops malformed entries,
 * `isInForce`, pruning (expired, ended experiments, the size cap) and placing the marker in a body.
 */
import { describe, expect, it } from "vitest";
import { FINDING_KINDS } from "../../src/detectors/index.js";
import {
  acknowledgementFor,
  acknowledgementsMarker,
  describeAcknowledgement,
  findingKey,
  isInForce,
  MAX_ACKNOWLEDGEMENTS,
  parseAcknowledgements,
  parseFindingKey,
  pruneAcknowledgements,
  withAcknowledgementsMarker,
  type Acknowledgement,
  type AcknowledgementStore,
} from "../../src/pipeline/acknowledgements.js";

const NOW = new Date("2026-11-21T12:00:00.000Z");
const PREFIX = "<!-- experiment-hygiene:acks ";

const ack = (over: Partial<Acknowledgement> = {}): Acknowledgement => ({
  kind: "ack",
  by: "alice",
  at: "2026-11-21T09:30:00.000Z",
  until: null,
  reason: "known bot traffic",
  ...over,
});
const snooze = (until: string, over: Partial<Acknowledgement> = {}): Acknowledgement => ({
  kind: "snooze",
  by: "bob",
  at: "2026-11-20T00:00:00.000Z",
  until,
  reason: null,
  ...over,
});

/** A marker with hand-written JSON (as a person editing the issue could leave it). */
const rawMarker = (json: string) => `${PREFIX}${json} -->`;

describe("findingKey / parseFindingKey", () => {
  it("round-trips every finding kind", () => {
    for (const kind of FINDING_KINDS) {
      expect(findingKey(42, kind)).toBe(`experiment:42:${kind}`);
      expect(parseFindingKey(findingKey(42, kind))).toEqual({ experimentId: 42, kind });
    }
  });

  it.each(["dashboard", "experiment:42:bogus", "experiment:x:srm", "experiment:42:srm ", "experiment:-1:srm", "experiment:42:SRM", "exp:42:srm"])(
    "rejects %j",
    (key) => {
      expect(parseFindingKey(key)).toBeNull();
    },
  );
});

describe("acknowledgementsMarker / parseAcknowledgements", () => {
  it("round-trips hostile reasons and logins", () => {
    const reasons = [
      "closing --> <!-- injected --> text",
      "<script>alert(1)</script> & <img src=x onerror=alert(1)>",
      "ünïcødé 🚀 — 中文 \u202Eevil\u202C line\u2028sep",
      'quotes " \' and \\ backslash and a literal \\u002d',
      "@everyone see #1 -- ok",
    ];
    const store: AcknowledgementStore = new Map(
      reasons.map((reason, i) => [findingKey(i + 1, "srm"), ack({ reason, by: `user-${i}--x` })]),
    );
    store.set(findingKey(99, "zombie"), snooze("2026-11-28T09:30:00.000Z"));
    const marker = acknowledgementsMarker(store);
    const inner = marker.slice(PREFIX.length, -" -->".length);
    expect(marker.startsWith(PREFIX) && marker.endsWith(" -->")).toBe(true);
    expect(inner).not.toMatch(/[-<>]/); // `-->` (or `--`) cannot end the HTML comment early
    expect(parseAcknowledgements(`# Dashboard\n\n${marker}\n\nafter`)).toEqual(store);
  });

  it("writes entries sorted by key, so the same store gives the same text", () => {
    const a: AcknowledgementStore = new Map([
      ["experiment:2:srm", ack()],
      ["experiment:1:srm", ack()],
    ]);
    const b: AcknowledgementStore = new Map([...a].reverse());
    expect(acknowledgementsMarker(a)).toBe(acknowledgementsMarker(b));
    expect([...parseAcknowledgements(acknowledgementsMarker(a)).keys()]).toEqual(["experiment:1:srm", "experiment:2:srm"]);
  });

  it("gives an empty store for no body, no marker, an unterminated marker or broken JSON", () => {
    for (const body of [null, undefined, "", "no marker", `${PREFIX}{"experiment:1:srm":`, rawMarker("{not json}"), rawMarker("null"), rawMarker("42"), rawMarker('"x"')]) {
      expect(parseAcknowledgements(body).size, String(body)).toBe(0);
    }
  });

  it("drops malformed entries and keeps the good ones", () => {
    const good = ack();
    const entries: Record<string, unknown> = {
      "experiment:1:srm": good,
      "experiment:2:bogus": good, // unknown kind
      dashboard: good, // not a finding key
      "experiment:3:srm": null,
      "experiment:4:srm": "ack",
      "experiment:5:srm": { ...good, kind: "mute" },
      "experiment:6:srm": { ...good, by: "" },
      "experiment:7:srm": { ...good, by: 7 },
      "experiment:8:srm": { ...good, at: "yesterday" },
      "experiment:9:srm": { ...good, at: undefined },
      "experiment:10:zombie": snooze("never"), // a snooze needs a valid end
      "experiment:11:zombie": { ...snooze("2026-12-01T00:00:00.000Z"), until: null },
      "experiment:12:srm": { ...good, reason: 42 }, // kept, reason dropped
      "experiment:13:srm": { ...good, reason: "" }, // kept, empty reason → null
      "experiment:14:srm": { ...good, until: "garbage" }, // an ack with a broken end → no end
    };
    const store = parseAcknowledgements(rawMarker(JSON.stringify(entries)));
    expect(Object.fromEntries(store)).toEqual({
      "experiment:1:srm": good,
      "experiment:12:srm": { ...good, reason: null },
      "experiment:13:srm": { ...good, reason: null },
      "experiment:14:srm": { ...good, until: null },
    });
  });

  it("cuts a reason to 300 characters", () => {
    const store = parseAcknowledgements(rawMarker(JSON.stringify({ "experiment:1:srm": ack({ reason: "r".repeat(1000) }) })));
    expect(store.get("experiment:1:srm")?.reason).toBe("r".repeat(300));
  });

  it("ignores extra fields", () => {
    const store = parseAcknowledgements(rawMarker(JSON.stringify({ "experiment:1:srm": { ...ack(), admin: true } })));
    expect(store.get("experiment:1:srm")).toEqual(ack());
  });
});

describe("isInForce / acknowledgementFor", () => {
  it("an ack is always in force; a snooze until its (exclusive) end", () => {
    expect(isInForce(ack(), new Date("2099-01-01T00:00:00Z"))).toBe(true);
    const s = snooze("2026-11-28T12:00:00.000Z");
    expect(isInForce(s, new Date("2026-11-28T11:59:59.999Z"))).toBe(true);
    expect(isInForce(s, new Date("2026-11-28T12:00:00.000Z"))).toBe(false);
    expect(isInForce(s, new Date("2026-12-01T00:00:00.000Z"))).toBe(false);
  });

  it("finds the entry of a key only while it is in force", () => {
    const store: AcknowledgementStore = new Map([
      ["experiment:1:srm", ack()],
      ["experiment:1:zombie", snooze("2026-11-21T00:00:00.000Z")],
    ]);
    expect(acknowledgementFor(store, "experiment:1:srm", NOW)).toEqual(ack());
    expect(acknowledgementFor(store, "experiment:1:zombie", NOW)).toBeNull();
    expect(acknowledgementFor(store, "experiment:2:srm", NOW)).toBeNull();
  });
});

describe("pruneAcknowledgements", () => {
  it("drops expired snoozes, entries of experiments no longer live and unknown keys", () => {
    const store: AcknowledgementStore = new Map([
      ["experiment:1:srm", ack()],
      ["experiment:1:zombie", snooze("2026-11-30T00:00:00.000Z")],
      ["experiment:1:stall", snooze("2026-11-21T12:00:00.000Z")], // ends now
      ["experiment:2:srm", ack()], // experiment 2 ended
      ["experiment:1:bogus", ack()],
    ]);
    const live = new Set([1]);
    const pruned = pruneAcknowledgements(store, NOW, (id) => live.has(id));
    expect([...pruned.keys()].sort()).toEqual(["experiment:1:srm", "experiment:1:zombie"]);
    expect(store.size).toBe(5); // the input is not modified
  });

  it(`keeps the ${MAX_ACKNOWLEDGEMENTS} newest entries`, () => {
    expect(MAX_ACKNOWLEDGEMENTS).toBe(200);
    const total = MAX_ACKNOWLEDGEMENTS + 5;
    // Entry i was made i minutes after the base time; inserted oldest-last to show the order is by `at`.
    const base = Date.parse("2026-11-01T00:00:00.000Z");
    const entries: [string, Acknowledgement][] = [];
    for (let i = total - 1; i >= 0; i--) {
      entries.push([findingKey(i + 1, "srm"), ack({ at: new Date(base + i * 60_000).toISOString() })]);
    }
    const pruned = pruneAcknowledgements(new Map(entries), NOW, () => true);
    expect(pruned.size).toBe(MAX_ACKNOWLEDGEMENTS);
    const kept = [...pruned.keys()].map((k) => parseFindingKey(k)!.experimentId);
    expect(Math.min(...kept)).toBe(6); // experiments 1–5 hold the 5 oldest entries
    expect(kept[0]).toBe(total); // newest first
  });
});

describe("withAcknowledgementsMarker", () => {
  const store: AcknowledgementStore = new Map([["experiment:1:srm", ack()]]);
  const state = '<!-- experiment-hygiene:state {"first_seen":"2026-11-01T00:00:00.000Z"} -->';

  it("replaces an existing marker in place, keeping the rest of the body", () => {
    const old = acknowledgementsMarker(new Map([["experiment:9:zombie", snooze("2026-12-01T00:00:00.000Z")]]));
    const body = `<!-- experiment-hygiene:issue:dashboard -->\nText\n${old}\n<!-- experiment-hygiene:findings  -->\n\n${state}\n`;
    const next = withAcknowledgementsMarker(body, store);
    expect(next).toBe(body.replace(old, acknowledgementsMarker(store)));
    expect(parseAcknowledgements(next)).toEqual(store);
    expect(next.split(PREFIX)).toHaveLength(2); // exactly one marker
  });

  it("inserts the marker before the state marker when there is none", () => {
    const body = `<!-- experiment-hygiene:issue:dashboard -->\nText\n\n${state}\n`;
    expect(withAcknowledgementsMarker(body, store)).toBe(
      `<!-- experiment-hygiene:issue:dashboard -->\nText\n\n${acknowledgementsMarker(store)}\n${state}\n`,
    );
  });

  it("appends the marker to a body without markers", () => {
    expect(withAcknowledgementsMarker("Text\n\n\n", store)).toBe(`Text\n${acknowledgementsMarker(store)}\n`);
  });

  it("is idempotent", () => {
    const once = withAcknowledgementsMarker(`Text\n${state}\n`, store);
    expect(withAcknowledgementsMarker(once, store)).toBe(once);
  });

  it("writes an empty store as an empty marker (a later parse gives no entries)", () => {
    const next = withAcknowledgementsMarker(withAcknowledgementsMarker("Text", store), new Map());
    expect(next).toContain(`${PREFIX}{} -->`);
    expect(parseAcknowledgements(next).size).toBe(0);
  });
});

describe("describeAcknowledgement", () => {
  it("names who acknowledged, the day and the reason", () => {
    expect(describeAcknowledgement(ack())).toBe("acknowledged by @alice on 2026-11-21: known bot traffic");
    expect(describeAcknowledgement(ack({ reason: null }))).toBe("acknowledged by @alice on 2026-11-21");
  });

  it("names who snoozed and until which day", () => {
    expect(describeAcknowledgement(snooze("2026-11-28T09:30:00.000Z"))).toBe("snoozed by @bob until 2026-11-28");
  });

  it("leaves the reason unescaped (the renderer escapes it)", () => {
    expect(describeAcknowledgement(ack({ reason: "<b>*x*</b>" }))).toBe("acknowledged by @alice on 2026-11-21: <b>*x*</b>");
  });
});
