/**
 * Which experiment a `/experiment` command means: id match, fallback from an id to a (numeric) flag key,
 * `#12`, the ranking of several experiments on one flag, archived ones left out, `single: true`
 * ambiguity with the unique-running rule, and the not-found sentences.
 */
import { describe, expect, it } from "vitest";
import type { Target } from "../../src/chatops/parse.js";
import { resolveTarget, type TargetResolution } from "../../src/chatops/targets.js";
import type { Experiment } from "../../src/model.js";
import { makeExperiment } from "../detectors/fixtures.js";

const id = (n: number, raw = String(n)): Target => ({ kind: "id", id: n, raw });
const flag = (key: string): Target => ({ kind: "flag", key, raw: key });

function ids(r: TargetResolution): number[] {
  if (!r.ok) throw new Error(`expected matches, got: ${r.problem}`);
  return r.experiments.map((e) => e.id);
}

function problem(r: TargetResolution): string {
  if (r.ok) throw new Error(`expected a problem, got ${r.experiments.map((e) => e.id).join(", ")}`);
  return r.problem;
}

/** Experiments on flag `checkout` in every status, plus others. */
function project(): Experiment[] {
  return [
    makeExperiment({ id: 1, flagKey: "checkout", status: "draft", startDate: null, createdAt: "2026-06-10T00:00:00Z" }),
    makeExperiment({ id: 2, flagKey: "checkout", status: "stopped", startDate: "2026-01-01T00:00:00Z", endDate: "2026-02-01T00:00:00Z" }),
    makeExperiment({ id: 3, flagKey: "checkout", status: "running", startDate: "2026-05-01T00:00:00Z" }),
    makeExperiment({ id: 4, flagKey: "checkout", status: "paused", startDate: "2026-04-01T00:00:00Z" }),
    makeExperiment({ id: 5, flagKey: "checkout", status: "stopped", startDate: "2026-03-01T00:00:00Z", endDate: "2026-03-20T00:00:00Z" }),
    makeExperiment({ id: 6, flagKey: "checkout", status: "running", startDate: "2026-06-01T00:00:00Z", archived: true }),
    makeExperiment({ id: 7, flagKey: "pricing", status: "running" }),
  ];
}

describe("resolveTarget by id", () => {
  it("matches the experiment with that id, whatever its flag has", () => {
    expect(ids(resolveTarget(project(), id(7), { single: true }))).toEqual([7]);
    expect(ids(resolveTarget(project(), id(3), { single: false }))).toEqual([3]);
  });

  it("matches an archived experiment by id (the plan then refuses it)", () => {
    expect(ids(resolveTarget(project(), id(6), { single: true }))).toEqual([6]);
  });

  it("accepts #12 written with a hash", () => {
    const exps = [makeExperiment({ id: 12, flagKey: "x" })];
    expect(ids(resolveTarget(exps, id(12, "#12"), { single: true }))).toEqual([12]);
  });

  it("falls back to a flag key when no experiment has the id (keys may be all digits)", () => {
    const exps = [makeExperiment({ id: 1, flagKey: "2024" }), makeExperiment({ id: 2, flagKey: "12" })];
    expect(ids(resolveTarget(exps, id(2024), { single: true }))).toEqual([1]);
    expect(ids(resolveTarget(exps, id(12, "#12"), { single: true }))).toEqual([2]);
    // An existing id wins over a flag key spelt the same.
    expect(ids(resolveTarget([...exps, makeExperiment({ id: 12, flagKey: "other" })], id(12), { single: true }))).toEqual([12]);
  });

  it("says neither the id nor the flag exists", () => {
    expect(problem(resolveTarget(project(), id(99), { single: true }))).toBe(
      'No experiment has id 99 and no experiment uses a flag "99".',
    );
    expect(problem(resolveTarget(project(), id(99, "#99"), { single: false }))).toBe(
      'No experiment has id 99 and no experiment uses a flag "99".',
    );
  });
});

describe("resolveTarget by flag key", () => {
  it("ranks running → paused → stopped → draft, newest first, and leaves archived out", () => {
    expect(ids(resolveTarget(project(), flag("checkout"), { single: false }))).toEqual([3, 4, 5, 2, 1]);
  });

  it("orders experiments of the same status by start date, then creation date, then id, newest first", () => {
    const exps = [
      makeExperiment({ id: 10, flagKey: "k", startDate: "2026-05-01T00:00:00Z" }),
      makeExperiment({ id: 11, flagKey: "k", startDate: "2026-06-01T00:00:00Z" }),
      makeExperiment({ id: 12, flagKey: "k", startDate: "2026-06-01T00:00:00Z" }),
      makeExperiment({ id: 13, flagKey: "k", status: "draft", startDate: null, createdAt: "2026-01-01T00:00:00Z" }),
      makeExperiment({ id: 14, flagKey: "k", status: "draft", startDate: null, createdAt: "2026-02-01T00:00:00Z" }),
      makeExperiment({ id: 15, flagKey: "k", status: "draft", startDate: null, createdAt: null }),
    ];
    expect(ids(resolveTarget(exps, flag("k"), { single: false }))).toEqual([12, 11, 10, 14, 13, 15]);
  });

  it("returns the only experiment on a flag, in any status", () => {
    const exps = [makeExperiment({ id: 8, flagKey: "solo", status: "stopped", endDate: "2026-06-01T00:00:00Z" })];
    expect(ids(resolveTarget(exps, flag("solo"), { single: true }))).toEqual([8]);
  });

  it("says no experiment uses the flag, mentioning archived ones are not counted", () => {
    expect(problem(resolveTarget(project(), flag("nope"), { single: false }))).toBe(
      'No experiment uses the feature flag "nope" (archived experiments are not counted).',
    );
    const onlyArchived = [makeExperiment({ id: 9, flagKey: "old", archived: true })];
    expect(problem(resolveTarget(onlyArchived, flag("old"), { single: true }))).toMatch(/No experiment uses the feature flag "old"/);
  });

  it("is exact: no prefix or case-insensitive match", () => {
    expect(resolveTarget(project(), flag("Checkout"), { single: false }).ok).toBe(false);
    expect(resolveTarget(project(), flag("check"), { single: false }).ok).toBe(false);
  });
});

describe("resolveTarget with single: true", () => {
  it("picks the only running experiment among several on the flag", () => {
    expect(ids(resolveTarget(project(), flag("checkout"), { single: true }))).toEqual([3]);
  });

  it("an archived running experiment does not make the choice ambiguous", () => {
    // Experiment 6 is running but archived; 3 is the only live running one.
    const r = resolveTarget(project(), flag("checkout"), { single: true });
    expect(ids(r)).toEqual([3]);
  });

  it("lists the candidates in rank order when two run", () => {
    const exps = [
      makeExperiment({ id: 20, flagKey: "twin", startDate: "2026-05-01T00:00:00Z" }),
      makeExperiment({ id: 21, flagKey: "twin", startDate: "2026-06-01T00:00:00Z" }),
      makeExperiment({ id: 22, flagKey: "twin", status: "paused" }),
    ];
    expect(problem(resolveTarget(exps, flag("twin"), { single: true }))).toBe(
      '3 experiments use the flag "twin": 21 (running), 20 (running), 22 (paused). Name one by its id.',
    );
    expect(ids(resolveTarget(exps, flag("twin"), { single: false }))).toEqual([21, 20, 22]);
  });

  it("is ambiguous when none runs", () => {
    const exps = [
      makeExperiment({ id: 30, flagKey: "idle", status: "paused" }),
      makeExperiment({ id: 31, flagKey: "idle", status: "stopped", endDate: "2026-06-01T00:00:00Z" }),
    ];
    expect(problem(resolveTarget(exps, flag("idle"), { single: true }))).toBe(
      '2 experiments use the flag "idle": 30 (paused), 31 (stopped). Name one by its id.',
    );
  });

  it("applies to a numeric token that fell back to a flag key", () => {
    const exps = [makeExperiment({ id: 1, flagKey: "77" }), makeExperiment({ id: 2, flagKey: "77" })];
    expect(problem(resolveTarget(exps, id(77), { single: true }))).toBe(
      '2 experiments use the flag "77": 2 (running), 1 (running). Name one by its id.',
    );
  });
});
