/**
 * Which experiment a command means: an experiment id, or a feature flag key that one or more experiments
 * use. Pure: works on the experiment list the caller loaded.
 */
import type { Experiment } from "../model.js";
import { compareExperiments } from "../pipeline/pull-request.js";
import type { Target } from "./parse.js";

/** Result of {@link resolveTarget}: matching experiments (most relevant first) or why there are none. */
export type TargetResolution =
  | { ok: true; experiments: Experiment[] }
  | { ok: false; problem: string };

/**
 * Resolves a command target against the project's experiments.
 *
 * - An id matches the experiment with that id; when none has it, the token is tried as a flag key (a key
 *   may be all digits).
 * - A flag key matches the non-archived experiments on that flag, ranked running → paused → stopped →
 *   draft, newest first (as the PR comment ranks them).
 * - `single: true` (analyze, promote, rollback) needs one experiment: the only match, else the only
 *   running one; otherwise the problem lists the candidates' ids.
 *
 * @returns matches, or a plain-text problem (unescaped) naming the target
 */
export function resolveTarget(experiments: Experiment[], target: Target, opts: { single: boolean }): TargetResolution {
  if (target.kind === "id") {
    const byId = experiments.find((e) => e.id === target.id);
    if (byId) return { ok: true, experiments: [byId] };
  }
  const key = target.kind === "flag" ? target.key : target.raw.replace(/^#/, "");
  const onFlag = experiments
    .filter((e) => e.flagKey === key && !e.archived)
    .sort(compareExperiments);
  if (onFlag.length === 0) {
    return {
      ok: false,
      problem:
        target.kind === "id"
          ? `No experiment has id ${target.id} and no experiment uses a flag "${key}".`
          : `No experiment uses the feature flag "${key}" (archived experiments are not counted).`,
    };
  }
  if (!opts.single || onFlag.length === 1) return { ok: true, experiments: onFlag };
  const running = onFlag.filter((e) => e.status === "running");
  if (running.length === 1) return { ok: true, experiments: running };
  const list = onFlag.map((e) => `${e.id} (${e.status})`).join(", ");
  return { ok: false, problem: `${onFlag.length} experiments use the flag "${key}": ${list}. Name one by its id.` };
}
