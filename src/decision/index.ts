/**
 * Auto-decision rules: promote / rollback / continue / extend / stop / investigate, with reasons.
 * See `decide.ts` for the rules and their order.
 */
export * from "./types.js";
export { decide } from "./decide.js";
export { explainRules, type RuleOutcome, type RuleStatus } from "./explain.js";
export {
  analyzeMetric,
  correctionSummary,
  metricArms,
  resolveVariants,
  selectGuardrails,
  type VariantRoles,
} from "./analyze.js";
export { formatCount, formatDays, formatLift, formatNumber, formatP, formatPercent } from "../format.js";
