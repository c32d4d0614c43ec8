/**
 * Touch every PostHog response the app needs, so a recording transport captures them into a snapshot
 * (`experiment-hygiene snapshot --out FILE`). Pure loading: no analysis, no GitHub.
 */
import type { Config } from "../config/schema.js";
import type { Logger } from "../github/types.js";
import { silentLogger } from "../github/types.js";
import type { PostHogApi } from "../posthog/index.js";
import { metricsToQuery } from "./pull-request.js";

/** What {@link recordProject} loaded. */
export interface RecordSummary {
  flags: number;
  experiments: number;
  queries: number;
  activityLogs: number;
}

/**
 * Load flags, experiments (detail), and for every launched experiment its exposures, primary and guardrail
 * metric results; and the activity log of every experiment's flag since its start.
 *
 * @param opts.flagKeys restrict experiments to these flag keys (e.g. the keys a diff references).
 * @throws PostHogError subclasses as the client raises them.
 */
export async function recordProject(
  posthog: PostHogApi,
  config: Config,
  opts: { flagKeys?: Set<string>; log?: Logger } = {},
): Promise<RecordSummary> {
  const log = opts.log ?? silentLogger;
  const flags = await posthog.listFeatureFlags();
  const summaries = (await posthog.listExperiments()).filter(
    (e) => !e.archived && (!opts.flagKeys || opts.flagKeys.has(e.flagKey)),
  );
  let queries = 0;
  let activityLogs = 0;
  await Promise.all(
    summaries.map(async (s) => {
      const e = await posthog.getExperiment(s.id);
      if (e.status === "draft") return;
      const metrics = metricsToQuery(e, config);
      await posthog.getExposures(e);
      await Promise.all(metrics.map((m) => posthog.getMetricResult(e, m)));
      queries += 1 + metrics.length;
      if (e.flag) {
        await posthog.getFlagActivity(e.flag.id, e.startDate ? { since: e.startDate } : {});
        activityLogs++;
      }
    }),
  );
  log.info({ flags: flags.length, experiments: summaries.length, queries }, "recorded PostHog project");
  return { flags: flags.length, experiments: summaries.length, queries, activityLogs };
}
