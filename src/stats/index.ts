/**
 * The statistics core: pure functions, no I/O. See the individual modules for formulas and sources
 * (statistics.md, posthog-api.md §5, PostHog `products/experiments/stats/`).
 */
export { StatsInputError, type StatsErrorCode } from "./errors.js";
export * from "./tails.js";
export * from "./srm.js";
export * from "./moments.js";
export * from "./frequentist.js";
export * from "./bayesian.js";
export * from "./sample-size.js";
export * from "./multiple-comparisons.js";
export * from "./compare.js";
export * from "./effect-size.js";
export * from "./sequential.js";
