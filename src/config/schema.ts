/**
 * The repository configuration, `.github/experiment-hygiene.yml`, as a zod 4 schema.
 *
 * Every key is optional; defaults are filled in by the schema. Fractions are 0–1 (0.10 = 10 %), durations
 * are days. The committed JSON Schema (`src/config/experiment-hygiene.schema.json`, `npm run schema`) is
 * generated from this file, so editors can validate the YAML.
 *
 * Sources of the defaults are listed in docs/decision-rules.md and in each `describe()` below.
 */
import { z } from "zod";

const fraction = (name: string) =>
  z
    .number({ error: `${name} must be a number` })
    .min(0, { error: `${name} is a fraction between 0 and 1 (0.1 = 10%)` })
    .max(1, { error: `${name} is a fraction between 0 and 1 (0.1 = 10%), not a percentage` });

const probability = (name: string) =>
  z
    .number({ error: `${name} must be a number` })
    .gt(0, { error: `${name} is a probability strictly between 0 and 1` })
    .lt(1, { error: `${name} is a probability strictly between 0 and 1 (0.05, not 5)` });

/**
 * A whole number ≥ `min`. One range check only (with its own message): zod 4 runs every check and uses the
 * type's `error` for checks without one, so a second bare `.min()` reported `-3` twice, once as "must be a number".
 */
const positiveInt = (name: string, min = 0) =>
  z.number({ error: `${name} must be a number` }).int({ error: `${name} must be a whole number` }).min(min, {
    error: min === 0 ? `${name} must not be negative` : `${name} must be at least ${min}`,
  });

/** Auto-decision rule thresholds. */
export const decisionSchema = z
  .object({
    srm_alpha: probability("decision.srm_alpha")
      .default(0.001)
      .describe("SRM blocks any decision when its p-value is below this (PostHog and Statsig: 0.001)."),
    srm_min_exposures: positiveInt("decision.srm_min_exposures")
      .default(1000)
      .describe("SRM is only tested once total exposures reach this many."),
    alpha: probability("decision.alpha")
      .default(0.05)
      .describe("Frequentist significance level before correction for multiple comparisons."),
    chance_to_win: probability("decision.chance_to_win")
      .default(0.95)
      .describe("Bayesian chance to win needed to promote, before correction for multiple comparisons."),
    correction: z
      .enum(["bonferroni", "holm", "none"])
      .default("bonferroni")
      .describe("Correction for the number of variants compared with control."),
    min_improvement: fraction("decision.min_improvement")
      .default(0.05)
      .describe("Smallest relative lift worth promoting (practical significance)."),
    max_regression: fraction("decision.max_regression")
      .default(0.1)
      .describe("Roll back when the primary or a guardrail metric is significantly worse by at least this much."),
    kill_regression: fraction("decision.kill_regression")
      .default(0.2)
      .describe(
        "Roll back, even before the minimum sample, when the always-valid interval shows a variant at least this much worse...",
      ),
    kill_min_exposures: positiveInt("decision.kill_min_exposures")
      .default(200)
      .describe("...once every variant has at least this many exposures."),
    min_sample_per_variant: positiveInt("decision.min_sample_per_variant")
      .default(1000)
      .describe("Minimum exposures per variant when PostHog has no recommended sample size."),
    max_duration_days: z
      .number({ error: "decision.max_duration_days must be a number" })
      .positive({ error: "decision.max_duration_days must be positive" })
      .default(14)
      .describe("Maximum duration in days when PostHog has no recommended running time."),
    near_alpha: probability("decision.near_alpha")
      .default(0.1)
      .describe("Past the maximum duration, extend when p is below this ('near significance')."),
    near_chance_to_win: probability("decision.near_chance_to_win")
      .default(0.9)
      .describe("Past the maximum duration, extend when chance to win reaches this."),
    sequential: z
      .boolean()
      .default(true)
      .describe(
        "Always-valid (sequential) inference: verdicts use confidence sequences and always-valid p-values, valid however often the app looks (Howard et al. 2021; GrowthBook, Eppo). false = fixed-horizon tests.",
      ),
    sequential_tuning_sample: z
      .number({ error: "decision.sequential_tuning_sample must be a number" })
      .int({ error: "decision.sequential_tuning_sample must be a whole number" })
      .positive({ error: "decision.sequential_tuning_sample must be positive" })
      .optional()
      .describe(
        "Users of control plus one variant (the n of one comparison) at which the confidence sequences are tightest, when PostHog has no recommended sample size; default: the minimum sample per variant times 2.",
      ),
    guardrails: z
      .union([z.literal("secondary"), z.literal("none"), z.array(z.string().min(1))])
      .default("secondary")
      .describe(
        "Guardrail metrics: 'secondary' (every secondary metric), 'none', or a list of metric names or uuids.",
      ),
  })
  .strict();

/** Scheduled hygiene reports (GitHub issues). */
export const reportsSchema = z
  .object({
    enabled: z.boolean().default(false).describe("Open, update and close hygiene issues in this repository."),
    scope: z
      .enum(["referenced", "all"])
      .default("referenced")
      .describe("'referenced': experiments whose flag keys the default branch references; 'all': every experiment."),
    reopen_after_days: positiveInt("reports.reopen_after_days", 1)
      .default(30)
      .describe("A hygiene issue a person closed stays closed this long unless the problem escalates."),
    labels: z
      .array(z.string().min(1))
      .default(["experiment-hygiene"])
      .describe("Labels put on every hygiene issue (the finding's kind is added)."),
  })
  .strict();

/** Autopilot: opt-in automatic rollback, promote and expiry (docs/autopilot.md). Effective only with POSTHOG_ALLOW_WRITES=true. */
export const autopilotSchema = z
  .object({
    rollback: z
      .boolean()
      .default(false)
      .describe("Roll back (ship control) when the decision rules say rollback on two consecutive scheduled evaluations (always-valid inference, fresh data)."),
    promote: z
      .boolean()
      .default(false)
      .describe("Ship the winning variant when the decision rules say promote on two consecutive scheduled evaluations (separately opt-in)."),
    expire: z
      .boolean()
      .default(false)
      .describe("End an experiment past its maximum duration by expire_after_days without a decision, with conclusion 'inconclusive' (its flag is left as configured)."),
    confirm_after_hours: z
      .number({ error: "autopilot.confirm_after_hours must be a number" })
      .min(1, { error: "autopilot.confirm_after_hours must be at least 1" })
      .max(168, { error: "autopilot.confirm_after_hours must be at most 168 (7 days)" })
      .default(6)
      .describe("The confirming evaluation must come at least this many hours after the one that first saw the condition."),
    expire_after_days: z
      .number({ error: "autopilot.expire_after_days must be a number" })
      .min(0, { error: "autopilot.expire_after_days must not be negative" })
      .max(365, { error: "autopilot.expire_after_days must be at most 365" })
      .default(7)
      .describe("Days past the maximum duration (PostHog's recommended running time, else decision.max_duration_days) before an undecided experiment is ended."),
  })
  .strict();

/**
 * Decision records (docs/decision-records.md): one Markdown record per concluded experiment, as a pull
 * request adding `<path>/<id>-<slug>.md` (and the index `<path>/README.md`), or as an entry on the hygiene
 * dashboard. Written by scheduled scans (repositories with `reports.enabled`) and by a confirmed
 * `/experiment promote|rollback`.
 */
export const recordsSchema = z
  .object({
    enabled: z.boolean().default(true).describe("Write a decision record when an experiment in scope concludes."),
    mode: z
      .enum(["pull_request", "dashboard"])
      .default("pull_request")
      .describe(
        "'pull_request': a pull request adds the record under records.path (falls back to the dashboard when the app may not write contents); 'dashboard': an entry on the hygiene dashboard issue.",
      ),
    path: z
      .string()
      .min(1)
      .regex(/^(?!\/)(?!.*\.\.)[A-Za-z0-9._\/-]+$/, { error: "records.path must be a relative folder such as docs/experiments" })
      .default("docs/experiments")
      .describe("Folder of the decision records and their index (README.md), relative to the repository root."),
    lookback_days: positiveInt("records.lookback_days", 1)
      .default(30)
      .describe("Scans record experiments that concluded at most this many days ago (older ones are history)."),
    holdout_checkpoints_days: z
      .array(positiveInt("records.holdout_checkpoints_days[]", 1))
      .default([30, 60, 90])
      .describe("Days after the ship date at which a shipped experiment with a holdout is compared with its holdout."),
  })
  .strict();

/**
 * Finding kinds a check run can fail on: the validity threats of `src/matching/threats.ts` (`CodeThreatKind`)
 * plus `unknown-key` (a literal key in an SDK call that PostHog does not know). Kept as literals here so
 * the config does not import the analysis core.
 */
export const CHECK_BLOCKABLE_KINDS = [
  "removes-last-exposure",
  "unknown-variant",
  "boolean-check-multivariate",
  "bulk-accessor-no-exposure",
  "identity-change-after-evaluation",
  "archivable-flag",
  "unknown-key",
] as const;

/** The `experiment-hygiene` check run on a pull request's head commit (docs/code-checks.md). */
export const checksSchema = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe("Post an 'experiment-hygiene' check run with annotations on each pull request's head commit (needs the App's checks: write)."),
    block_on: z
      .array(z.enum(CHECK_BLOCKABLE_KINDS))
      .default([])
      .describe("Finding kinds that make the check run fail (conclusion 'failure') instead of 'neutral', e.g. [removes-last-exposure, unknown-variant]."),
  })
  .strict();

/** One monorepo path mapping: references under `paths` belong to PostHog project `project_id`. */
export const projectSchema = z
  .object({
    paths: z.array(z.string().min(1)).min(1, { error: "projects[].paths needs at least one glob" }).describe("Path globs (picomatch), e.g. 'apps/web/**'."),
    project_id: z
      .number({ error: "projects[].project_id must be a number" })
      .int({ error: "projects[].project_id must be a whole number" })
      .positive({ error: "projects[].project_id must be positive" })
      .describe("The PostHog project (team) id these paths evaluate their flags in."),
  })
  .strict();

/** The whole configuration file. */
export const configSchema = z
  .object({
    $schema: z.string().optional().describe("Path or URL of this file's JSON Schema (ignored by the app)."),
    _extends: z.string().optional().describe("Inherit from another repository's file: 'repo', 'owner/repo' or 'repo:path'."),
    enabled: z.boolean().default(true).describe("Set to false to silence the app in this repository."),
    comment: z
      .object({
        enabled: z.boolean().default(true).describe("Post the sticky pull-request comment."),
        show_unknown_keys: z.boolean().default(true).describe("List SDK calls with flag keys PostHog does not know."),
        max_experiments: positiveInt("comment.max_experiments", 1)
          .default(20)
          .describe("At most this many experiments are analysed per pull request."),
      })
      .strict()
      .prefault({}),
    checks: checksSchema.prefault({}),
    projects: z
      .array(projectSchema)
      .default([])
      .describe(
        "Monorepos: path globs owned by other PostHog projects than POSTHOG_PROJECT_ID (first match wins); references elsewhere use POSTHOG_PROJECT_ID.",
      ),
    ignore_paths: z
      .array(z.string().min(1))
      .default([])
      .describe("Glob patterns of paths whose flag references are ignored, e.g. 'vendor/**'."),
    decision: decisionSchema.prefault({}),
    reports: reportsSchema.prefault({}),
    autopilot: autopilotSchema.prefault({}),
    records: recordsSchema.prefault({}),
    max_data_age_hours: z
      .number({ error: "max_data_age_hours must be a number" })
      .positive({ error: "max_data_age_hours must be positive" })
      .max(24, { error: "max_data_age_hours must be at most 24 (PostHog caches query results for 24 hours)" })
      .default(6)
      .describe(
        "Writes (/experiment promote|rollback) and stall findings use PostHog results at most this many hours old; older cached results are recomputed first. PR comments accept PostHog's cache (up to 24 h) and show the data's age.",
      ),
  })
  .strict();

/** The parsed configuration, with every default filled in. */
export type Config = z.infer<typeof configSchema>;
export type DecisionConfig = z.infer<typeof decisionSchema>;
export type ReportsConfig = z.infer<typeof reportsSchema>;
export type AutopilotConfig = z.infer<typeof autopilotSchema>;
export type RecordsConfig = z.infer<typeof recordsSchema>;
export type ChecksConfig = z.infer<typeof checksSchema>;
export type ProjectMapping = z.infer<typeof projectSchema>;

/** The default configuration (what an absent file means). */
export const DEFAULT_CONFIG: Config = configSchema.parse({});
