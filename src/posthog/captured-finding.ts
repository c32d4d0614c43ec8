/**
 * The shape of a finding as the capture client sends it (`capture.ts`): plain data, declared here so the
 * PostHog adapter does not import the detectors. A detector `Finding` (`src/detectors/types.ts`) fits it.
 */
export interface CapturedFinding {
  /** The finding kind, e.g. `srm`, `stall`, `zombie-flag`. */
  kind: string;
  /** `P2` (validity threat) or `P3` (lifecycle). */
  severity: string;
  experimentId: number;
  experimentName: string;
  flagKey: string;
  /** ISO date `YYYY-MM-DD` when the problem started, or null. */
  onset: string | null;
  /** Machine-readable evidence (snake_case keys); `p_value` is sent when it is a number. */
  evidence: Record<string, string | number | boolean | null>;
}
