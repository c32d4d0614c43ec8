/**
 * Detector behaviour that depends on PostHog's own data (issue 9 §3): stalls measured up to the data's
 * `last_refresh`, the exposure event PostHog actually counts, still-computing metrics, and PostHog's own
 * health view compared with the app's (fixture exposures-health-findings.json: SRM p = 3.1e-6 on 900
 * exposures, below the app's 1,000-exposure minimum).
 */
import { describe, expect, it } from "vitest";
import {
  comparePosthogHealth,
  detectAll,
  detectBrokenMetric,
  detectContamination,
  detectStall,
  effectiveExposureEvent,
} from "../../src/detectors/index.js";
import { normalizeExposures } from "../../src/posthog/normalize.js";
import { exposureResponseSchema, parseWith } from "../../src/posthog/schemas.js";
import { fixture } from "../posthog/helpers.js";
import { CONFIG, START, data, exposuresFromDaily, exposuresFromTotals, hoursAfter, makeExperiment, metricResult } from "./fixtures.js";

const HEALTHY = Array.from({ length: 10 }, () => 100);

describe("stall is measured up to the data's last_refresh", () => {
  const e = makeExperiment();
  // 100 exposures a day per variant from 2026-06-01 to 06-10, nothing after.
  const series = exposuresFromDaily({ control: HEALTHY, test: HEALTHY });
  const now = new Date("2026-06-14T12:00:00Z"); // 84 h after the end of the last exposure day

  it("flags the gap when the data is fresh", () => {
    const fresh = { ...series, freshness: { computedAt: "2026-06-14T11:50:00Z", cached: false } };
    const f = detectStall(e, data(e, { exposures: fresh }), CONFIG, now);
    expect(f?.kind).toBe("stall");
    expect(f?.evidence["hours_since_last_exposure"]).toBeCloseTo(83.8, 1);
    expect(f?.evidence["data_as_of"]).toBe("2026-06-14T11:50:00.000Z");
  });

  it("does not call a 30-hour-old cache's silence a stall", () => {
    // PostHog computed this result at 2026-06-11T06:00Z: it cannot show exposures after that.
    const cached = { ...series, freshness: { computedAt: "2026-06-11T06:00:00Z", cached: true } };
    expect(detectStall(e, data(e, { exposures: cached }), CONFIG, now)).toBeNull();
  });

  it("uses the wall clock when PostHog sent no last_refresh", () => {
    expect(detectStall(e, data(e, { exposures: series }), CONFIG, now)?.evidence["hours_since_last_exposure"]).toBeCloseTo(84, 1);
  });

  it("measures zero exposures after launch up to last_refresh too", () => {
    const none = { ...exposuresFromDaily({ control: [0], test: [0] }), freshness: { computedAt: "2026-06-01T20:00:00Z", cached: true } };
    expect(detectStall(e, data(e, { exposures: none }), CONFIG, hoursAfter(START, 40))).toBeNull();
  });
});

describe("the exposure event PostHog counts", () => {
  it("is resolved_exposure_event unless a custom event is configured", () => {
    expect(effectiveExposureEvent(makeExperiment())).toEqual({ event: "$feature_flag_called", custom: false });
    expect(effectiveExposureEvent(makeExperiment({ resolvedExposureEvent: "$experiment_exposure" }))).toEqual({
      event: "$experiment_exposure",
      custom: false,
    });
    const custom = makeExperiment({
      resolvedExposureEvent: "$experiment_exposure",
      exposureCriteria: { filterTestAccounts: true, multipleVariantHandling: "exclude", exposureEvent: "checkout_viewed" },
    });
    expect(effectiveExposureEvent(custom)).toEqual({ event: "checkout_viewed", custom: true });
  });

  it("is named in stall and contamination advice", () => {
    // Experience continuity on: the identity-transition advice does not apply, the generic one names the event.
    const e = makeExperiment({ resolvedExposureEvent: "$experiment_exposure" }, { ensureExperienceContinuity: true });
    const stall = detectStall(e, data(e, { exposures: exposuresFromDaily({ control: HEALTHY, test: HEALTHY }) }), CONFIG, new Date("2026-06-14T12:00:00Z"));
    expect(stall?.evidence["exposure_event"]).toBe("$experiment_exposure");
    expect(stall?.cause).toContain("sends $experiment_exposure");
    expect(stall?.cause).not.toContain("$feature_flag_called");
    const contamination = detectContamination(
      e,
      data(e, { exposures: exposuresFromTotals({ control: 5000, test: 5000, $multiple: 200 }) }),
      CONFIG,
      new Date("2026-06-14T12:00:00Z"),
    );
    expect(contamination?.action).toContain("$experiment_exposure events");
  });
});

describe("a metric PostHog is still computing", () => {
  it("is not a broken metric", () => {
    const e = makeExperiment();
    const exposures = exposuresFromTotals({ control: 5000, test: 5000 });
    const pending = metricResult({ baseline: null, variants: [], error: null, pending: true });
    expect(detectBrokenMetric(e, data(e, { exposures, metricResults: [pending] }), CONFIG, new Date("2026-06-14T12:00:00Z"))).toBeNull();
    const empty = metricResult({ baseline: null, variants: [], error: null });
    expect(detectBrokenMetric(e, data(e, { exposures, metricResults: [empty] }), CONFIG, new Date("2026-06-14T12:00:00Z"))?.kind).toBe(
      "broken-metric",
    );
  });
});

describe("PostHog's own health view", () => {
  const exposures = normalizeExposures(77, parseWith(exposureResponseSchema, fixture("exposures-health-findings.json"), "test"));

  it("lists what PostHog flags and states where the app disagrees", () => {
    const view = comparePosthogHealth(exposures, { srm: null, srmReason: "it tests from 1000 exposures" });
    expect(view.posthogSrm).toBe(true);
    expect(view.flags).toEqual([
      "warning: Users are not split across variants as configured: The distribution of users across variants doesn't match your configured rollout percentages (p < 0.001). This may indicate issues with randomization or data collection.",
    ]);
    expect(view.disagreements).toEqual([
      "PostHog flags a sample ratio mismatch (PostHog's p = 3.1e-6), but this app has not judged the split yet (it tests from 1000 exposures).",
    ]);
  });

  it("states the opposite disagreement: the app flags SRM, PostHog does not", () => {
    const quiet = { ...exposures, healthFindings: [], posthogSrm: { expected: {}, pValue: 0.004 } };
    const view = comparePosthogHealth(quiet, { srm: true });
    expect(view.flags).toEqual([]);
    expect(view.disagreements).toEqual([
      "This app flags a sample ratio mismatch, but PostHog does not (PostHog's p = 0.004); PostHog only flags p < 0.001.",
    ]);
  });

  it("compares PostHog's bias risk with the app's contamination check", () => {
    const risky = { ...exposures, healthFindings: [], posthogSrm: null, biasRisk: { multipleVariantPercentage: 1.96 } };
    const view = comparePosthogHealth(risky, { srm: null, multipleVariants: false, multipleVariantsReason: "below the 0.5 % limit" });
    expect(view.flags).toEqual(["bias risk: 1.96 % of exposed users saw more than one variant on an uneven split"]);
    expect(view.disagreements).toEqual([
      "PostHog flags a bias risk from users who saw several variants, but this app's check does not flag it (below the 0.5 % limit).",
    ]);
  });

  it("says nothing when this PostHog build returns no health view", () => {
    const old = { experimentId: 1, timeseries: [], totals: { control: 10 }, posthogSrm: null };
    expect(comparePosthogHealth(old, { srm: true, multipleVariants: true })).toEqual({
      flags: [],
      disagreements: [],
      posthogSrm: null,
      posthogBiasRisk: null,
    });
  });

  it("is attached to the app's own SRM finding in a scan", () => {
    const e = makeExperiment();
    // 5,300 / 4,700 on a 50/50 split: the app's SRM detector fires; PostHog's p = 0.02 does not reach 0.001.
    const exp = { ...exposuresFromTotals({ control: 5300, test: 4700 }), posthogSrm: { expected: { control: 5000, test: 5000 }, pValue: 0.02 }, healthFindings: [] };
    const findings = detectAll({
      now: new Date("2026-06-14T12:00:00Z"),
      experiments: [e],
      flags: [],
      exposures: new Map([[42, exp]]),
      metricResults: new Map(),
      flagActivity: new Map(),
      decisions: new Map(),
    });
    const srm = findings.find((f) => f.kind === "srm");
    expect(srm?.posthogHealth?.disagreements).toEqual([
      "This app flags a sample ratio mismatch, but PostHog does not (PostHog's p = 0.02); PostHog only flags p < 0.001.",
    ]);
  });
});
