/**
 * What PostHog itself flags about an experiment's health, and where it disagrees with this app.
 *
 * Newer PostHog builds judge experiment health server-side (posthog-api.md §6, §11): the exposure response
 * carries `sample_ratio_mismatch` (its own χ² p-value) and `bias_risk`, and newer responses and experiment
 * details carry `health_findings` (`ExperimentHealthFinding {code, severity, title, detail, …}`,
 * products/experiments/backend/health/). This module is pure: it turns those into plain-text lines and
 * compares them with the app's own verdicts, so a comment or an issue can say "PostHog flags X, this app
 * does not (because …)" instead of silently disagreeing.
 *
 * Thresholds: PostHog flags SRM at p < 0.001 (`SAMPLE_RATIO_MISMATCH_P_VALUE`, health/checks/srm.py); its
 * bias-risk check fires when more than 0.1 % of exposures are `$multiple` on an uneven split under
 * `exclude` (health/checks/bias_risk.py). The app's SRM detector uses the scout's p < 0.01 with ≥ 1,000
 * exposures and > 3σ; its decision rules use `decision.srm_alpha` (0.001) from `decision.srm_min_exposures`.
 */
import type { ExposureResult, PosthogHealthFinding } from "../model.js";

/** PostHog's SRM threshold (`SAMPLE_RATIO_MISMATCH_P_VALUE` in health/checks/srm.py). */
export const POSTHOG_SRM_P_VALUE = 0.001;

/** What PostHog flags and where the app disagrees. All strings are plain text (the renderer escapes them). */
export interface PosthogHealthView {
  /** One line per problem PostHog itself flags (its health findings, its SRM p-value, its bias risk). */
  flags: string[];
  /** One sentence per disagreement between PostHog and the app. */
  disagreements: string[];
  /** PostHog flags a sample ratio mismatch; null when this PostHog build says nothing about SRM. */
  posthogSrm: boolean | null;
  /** PostHog flags a bias risk from users in several variants; null when the build says nothing about it. */
  posthogBiasRisk: boolean | null;
}

/**
 * The app's own verdicts to compare with. `true` = the app flags it, `false` = the app checked and found
 * nothing, `null` = the app did not judge (e.g. too few exposures); `*Reason` explains a `false`/`null`
 * in a few words (e.g. "it needs 1,000 exposures").
 */
export interface AppHealthVerdicts {
  srm: boolean | null;
  srmReason?: string;
  /** Users seen in several variants (`contamination`); omit when the caller has no such check. */
  multipleVariants?: boolean | null;
  multipleVariantsReason?: string;
}

function isSrmFinding(f: PosthogHealthFinding): boolean {
  return /^(srm|sample_ratio)/i.test(f.kind);
}
function isBiasFinding(f: PosthogHealthFinding): boolean {
  return /^bias_risk/i.test(f.kind);
}

function pText(p: number): string {
  return p < 0.0001 ? p.toExponential(1) : String(Number(p.toPrecision(2)));
}

function appSays(flag: boolean | null, reason: string | undefined, what: string): string {
  if (flag === null) return `this app has not judged ${what} yet${reason ? ` (${reason})` : ""}`;
  return `this app's check does not flag it${reason ? ` (${reason})` : ""}`;
}

/**
 * Compares PostHog's health view of one experiment with the app's verdicts.
 *
 * PostHog flags SRM when a health finding's code starts with `srm` or its `sample_ratio_mismatch.p_value`
 * is below {@link POSTHOG_SRM_P_VALUE}; a bias risk when `bias_risk` is non-null or a finding's code starts
 * with `bias_risk`. Other findings are listed as PostHog worded them. A disagreement is stated only when
 * both sides have a view (PostHog returned the relevant field; the app's verdict is not undefined).
 *
 * @param exposures the normalised exposure result (null: nothing to compare, empty view)
 * @returns the view; never throws
 */
export function comparePosthogHealth(exposures: ExposureResult | null, app: AppHealthVerdicts): PosthogHealthView {
  const view: PosthogHealthView = { flags: [], disagreements: [], posthogSrm: null, posthogBiasRisk: null };
  if (!exposures) return view;
  const findings = exposures.healthFindings ?? [];
  for (const f of findings) view.flags.push(`${f.severity ? `${f.severity}: ` : ""}${f.message}`);

  const srmP = exposures.posthogSrm?.pValue ?? null;
  const srmByFinding = findings.some(isSrmFinding);
  if (srmByFinding || srmP !== null) view.posthogSrm = srmByFinding || (srmP as number) < POSTHOG_SRM_P_VALUE;
  else if (exposures.healthFindings !== undefined) view.posthogSrm = false;
  if (!srmByFinding && srmP !== null && srmP < POSTHOG_SRM_P_VALUE) {
    view.flags.push(`sample ratio mismatch (PostHog's p = ${pText(srmP)} < ${POSTHOG_SRM_P_VALUE})`);
  }

  const bias = exposures.biasRisk;
  const biasByFinding = findings.some(isBiasFinding);
  if (biasByFinding || (bias !== undefined && bias !== null)) view.posthogBiasRisk = true;
  else if (bias === null || exposures.healthFindings !== undefined) view.posthogBiasRisk = false;
  if (!biasByFinding && bias) {
    view.flags.push(
      `bias risk: ${Number(bias.multipleVariantPercentage.toFixed(2))} % of exposed users saw more than one variant on an uneven split`,
    );
  }

  if (view.posthogSrm !== null && app.srm !== undefined) {
    const srmDetail = srmP !== null ? ` (PostHog's p = ${pText(srmP)})` : "";
    if (view.posthogSrm && app.srm !== true) {
      view.disagreements.push(`PostHog flags a sample ratio mismatch${srmDetail}, but ${appSays(app.srm, app.srmReason, "the split")}.`);
    } else if (!view.posthogSrm && app.srm === true) {
      view.disagreements.push(
        `This app flags a sample ratio mismatch, but PostHog does not${srmDetail}${srmP !== null ? `; PostHog only flags p < ${POSTHOG_SRM_P_VALUE}` : ""}.`,
      );
    }
  }
  if (view.posthogBiasRisk !== null && app.multipleVariants !== undefined) {
    if (view.posthogBiasRisk && app.multipleVariants !== true) {
      view.disagreements.push(
        `PostHog flags a bias risk from users who saw several variants, but ${appSays(app.multipleVariants, app.multipleVariantsReason, "users in several variants")}.`,
      );
    } else if (!view.posthogBiasRisk && app.multipleVariants === true) {
      view.disagreements.push(
        "This app flags users who saw several variants, but PostHog reports no bias risk (PostHog only checks uneven splits that exclude such users, above 0.1 %).",
      );
    }
  }
  return view;
}
