import { describe, expect, it } from "vitest";
import { detectContamination } from "../../src/detectors/contamination.js";
import { detectStaleVariants } from "../../src/detectors/lifecycle.js";
import { detectSrm } from "../../src/detectors/srm.js";
import type { Finding } from "../../src/detectors/types.js";
import { detectZombie } from "../../src/detectors/zombie.js";
import {
  MAX_BODY_CHARS,
  MAX_CHART_POINTS,
  downsampleChart,
  renderChart,
  renderDashboardIssue,
  renderFindingIssue,
} from "../../src/render/findings.js";
import { CONFIG, NOW, START, data, exposuresFromDaily, hoursAfter, makeExperiment } from "../detectors/fixtures.js";

const HOSTILE = "@team <img src=x> **bold** | pipe";
const LINKS = { experimentUrl: "https://us.posthog.com/project/1/experiments/42", flagUrl: "https://us.posthog.com/project/1/feature_flags/7" };

function srmFinding(name = "New checkout", days = 10): Finding {
  const e = makeExperiment({ name });
  const control = Array(days).fill(1000) as number[];
  const test = control.map((n, i) => (i < days / 2 ? n : 600));
  const f = detectSrm(e, data(e, { exposures: exposuresFromDaily({ control, test }) }), CONFIG, NOW);
  if (!f) throw new Error("fixture should produce an SRM finding");
  return f;
}

/** The Mermaid block of a body, or null. */
function mermaid(body: string): string | null {
  return /```mermaid\n([\s\S]*?)\n```/.exec(body)?.[1] ?? null;
}

describe("renderFindingIssue", () => {
  it("SRM: sections, observed-vs-expected table, links and a chart", () => {
    const { title, body } = renderFindingIssue(srmFinding(), LINKS);
    expect(title).toMatch(/^Sample ratio mismatch in “New checkout” \(p = /);
    expect(body).toContain("### What contradicts what");
    expect(body).toContain("### Suspected cause");
    expect(body).toContain("### What to do");
    expect(body).toContain("| Variant | Observed | Expected | Observed share | Expected share | Deviation (pp) |");
    // 10,000 control vs 8,000 test; expected 9,000 each.
    expect(body).toContain("| control | 10,000 | 9,000 | 55.56 % | 50.00 % | +5.56 |");
    expect(body).toContain("| test | 8,000 | 9,000 | 44.44 % | 50.00 % | −5.56 |");
    expect(body).toContain(`](${LINKS.experimentUrl})`);
    expect(body).toContain(`](${LINKS.flagUrl})`);
    expect(body).not.toContain("<!--");
    const chart = mermaid(body);
    expect(chart).not.toBeNull();
    expect(chart).toMatch(/^xychart-beta$/m);
    expect(chart).toContain('x-axis ["06-01", "');
    // Two variants' cumulative shares (%) and one flat expected-share line (charts.test.ts parses them).
    expect(chart?.match(/^ {4}line \[/gm)).toHaveLength(3);
    expect(chart).toContain("line [50, 50, 50, 50, 50, 51.724, 53.03, 54.054, 54.878, 55.556]");
    expect(body).toContain("Lines: blue = control, orange = test; flat: grey = expected share, 50 % each.");
  });

  it("escapes a hostile experiment name everywhere and renders no live mention or HTML", () => {
    const { title, body } = renderFindingIssue(srmFinding(HOSTILE), LINKS);
    expect(body).not.toMatch(/@team/);
    expect(title).not.toMatch(/@team/);
    expect(body).not.toContain("<img");
    expect(body).toContain("&lt;img src=x&gt;");
    expect(body).not.toContain("**bold**");
    expect(body).toContain("\\*\\*bold\\*\\*");
    expect(body).not.toMatch(/[^\\]\| pipe/);
    // Every table row still has exactly the columns of its header.
    for (const line of body.split("\n").filter((l) => l.startsWith("| control") || l.startsWith("| test"))) {
      expect(line.replace(/\\\|/g, "").split("|").length).toBe(8);
    }
    // The name never reaches the Mermaid source.
    expect(mermaid(body)).not.toContain("team");
  });

  it("escapes `$` so GitHub does not typeset math", () => {
    const e = makeExperiment();
    const exposures = exposuresFromDaily({ control: [2000, 2000], test: [2000, 2000], $multiple: [100, 100] });
    const f = detectContamination(e, data(e, { exposures }), CONFIG, NOW);
    if (!f) throw new Error("fixture should produce a contamination finding");
    const { body } = renderFindingIssue(f, LINKS);
    expect(body).toContain("\\$multiple");
    expect(body).not.toMatch(/[^\\]\$multiple/);
    expect(mermaid(body)).toContain('title "Daily share of new exposures (%) - over the limit since 06-01"');
    expect(body).not.toContain("\\\\$"); // escaped once: `\\$` would show a backslash and leave `$` live
  });

  it("renders a missing flag link as plain code and skips an absent cause", () => {
    const f: Finding = { ...srmFinding(), cause: null, chart: null };
    const { body } = renderFindingIssue(f, { experimentUrl: LINKS.experimentUrl, flagUrl: null });
    expect(body).not.toContain("### Suspected cause");
    expect(body).toContain("`new-checkout` (not found in PostHog)");
    expect(mermaid(body)).toBeNull();
  });

  it("downsamples a long chart to at most 60 x-axis points", () => {
    const f = srmFinding("Long", 200);
    const { body } = renderFindingIssue(f, LINKS);
    const chart = mermaid(body) ?? "";
    const xAxis = /x-axis \[(.*)\]/.exec(chart)?.[1] ?? "";
    const labels = xAxis.split(", ");
    expect(labels).toHaveLength(MAX_CHART_POINTS);
    // Short dates on at most 8 points, unique invisible labels (zero-width spaces) on the others.
    expect(labels.filter((l) => /^"\d{2}-\d{2}"$/.test(l)).length).toBeLessThanOrEqual(8);
    expect(labels.every((l) => /^"(\d{2}-\d{2}|\u200b+)"$/.test(l))).toBe(true);
    expect(labels[labels.length - 1]).toBe(`"${f.chart?.days[199]?.slice(5)}"`);
    for (const line of chart.split("\n").filter((l) => l.trim().startsWith("line ["))) {
      expect(line.split(",")).toHaveLength(MAX_CHART_POINTS);
    }
    expect(body).toContain("200 days shown as 60 points");
  });

  it("downsampleChart: cumulative keeps bucket ends, daily share averages", () => {
    const days = Array.from({ length: 6 }, (_, i) => `2026-06-0${i + 1}`);
    const cum = downsampleChart({ kind: "cumulative-exposures", days, series: [{ name: "a", values: [1, 2, 3, 4, 5, 6] }] }, 3);
    expect(cum.days).toEqual(["2026-06-02", "2026-06-04", "2026-06-06"]);
    expect(cum.series[0]?.values).toEqual([2, 4, 6]);
    const share = downsampleChart({ kind: "daily-share", days, series: [{ name: "a", values: [1, 3, 5, 7, 0, 0] }] }, 3);
    expect(share.series[0]?.values).toEqual([2, 6, 0]);
    expect(() => downsampleChart({ kind: "daily-share", days, series: [{ name: "a", values: [1] }] })).toThrow(RangeError);
  });

  it("renderChart drops anything but safe characters from labels", () => {
    const out = renderChart({ kind: "cumulative-exposures", days: ['2026-06-01"]\n```'], series: [{ name: "x", values: [1] }] });
    expect(out).toContain('x-axis ["2026-06-01"]'); // not a date any more: shown whole, unsafe characters dropped
    expect(out.match(/```/g)).toHaveLength(2);
  });

  it("keeps a huge body under the limit", () => {
    const f: Finding = { ...srmFinding(), contradiction: "x ".repeat(40_000) };
    expect(renderFindingIssue(f, LINKS).body.length).toBeLessThanOrEqual(MAX_BODY_CHARS);
  });
});

describe("renderDashboardIssue", () => {
  const zombie = (id: number, name: string) => {
    const e = makeExperiment({ id, name });
    const f = detectZombie(e, data(e), CONFIG, hoursAfter(START, 24 * 70));
    if (!f) throw new Error("fixture should produce a zombie finding");
    return f;
  };
  const stale = () => {
    const e = makeExperiment({ id: 9, name: "Old pricing", status: "stopped", endDate: "2026-05-01T00:00:00Z" });
    const f = detectStaleVariants(e, data(e), CONFIG, NOW);
    if (!f) throw new Error("fixture should produce a stale-variants finding");
    return { ...f, codeReferences: [{ file: "src/pricing.ts", line: 12 }, { file: "web/app.tsx", line: 3 }] };
  };
  const links = (f: Finding) => ({
    experimentUrl: `https://us.posthog.com/project/1/experiments/${f.experimentId}`,
    flagUrl: null,
    codeUrl: (r: { file: string; line: number }) => (r.file.startsWith("src/") ? `https://github.com/o/r/blob/main/${r.file}#L${r.line}` : null),
  });

  it("one section per kind, one bullet per experiment, code references linked", () => {
    const { title, body } = renderDashboardIssue([stale(), zombie(5, "B"), zombie(2, "A"), { ...srmFinding() }], links);
    expect(title).toBe("Experiment hygiene dashboard");
    expect(body).toContain("### Zombie experiments (2)");
    expect(body).toContain("### Flags still serving several variants (1)");
    expect(body).not.toContain("Sample ratio mismatch");
    const zombieBullets = body.split("\n").filter((l) => l.startsWith("- ") && l.includes("running for"));
    expect(zombieBullets).toHaveLength(2);
    expect(zombieBullets[0]).toContain("[A](https://us.posthog.com/project/1/experiments/2)");
    expect(body.indexOf("### Zombie")).toBeLessThan(body.indexOf("### Flags still"));
    expect(body).toMatch(/\[src\/pricing\.ts\\?:12\]\(https:\/\/github\.com\/o\/r\/blob\/main\/src\/pricing\.ts#L12\)/);
    expect(body).toContain("`web/app.tsx:3`");
    expect(body).toContain("3 lifecycle findings in 3 experiments");
  });

  it("escapes hostile names and says so when nothing is wrong", () => {
    const { body } = renderDashboardIssue([zombie(3, HOSTILE)], links);
    expect(body).not.toMatch(/@team/);
    expect(body).not.toContain("<img");
    expect(renderDashboardIssue([], links).body).toContain("No lifecycle findings");
  });
});

describe("PostHog's own health view in an issue body", () => {
  it("shows what PostHog flags and the disagreement, escaped", () => {
    const f: Finding = {
      ...srmFinding(),
      posthogHealth: {
        flags: [`warning: ${HOSTILE}`],
        disagreements: ["This app flags a sample ratio mismatch, but PostHog does not (PostHog's p = 0.02); PostHog only flags p < 0.001."],
      },
    };
    const { body } = renderFindingIssue(f, LINKS);
    const section = body.slice(body.indexOf("### What PostHog itself flags"));
    expect(section).toContain("- ⚖️ This app flags a sample ratio mismatch, but PostHog does not");
    expect(section).not.toContain("<img");
    expect(section).not.toMatch(/(^|[^\\])@team/);
  });

  it("has no such section when PostHog returned no health view", () => {
    expect(renderFindingIssue(srmFinding(), LINKS).body).not.toContain("What PostHog itself flags");
  });
});
