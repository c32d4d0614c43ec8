/**
 * The minimal shape of each webhook payload the app handles, checked before an event is dispatched, so
 * a signed but malformed delivery is answered 400 with a short message instead of failing inside a
 * handler (500 and a TypeError text).
 *
 * Only the fields the handlers and Probot's context read are required (GitHub sends many more; extra
 * fields pass). Field names follow GitHub's webhook payloads (@octokit/openapi-webhooks-types).
 */
import { z } from "zod";

const repository = z.looseObject({
  full_name: z.string().min(1),
  name: z.string().min(1),
  owner: z.looseObject({ login: z.string().min(1) }),
});
const installation = z.looseObject({ id: z.number().int() });

const SCHEMAS: Record<string, z.ZodType> = {
  pull_request: z.looseObject({
    action: z.string(),
    pull_request: z.looseObject({
      number: z.number().int().positive(),
      state: z.string(),
      head: z.looseObject({ sha: z.string() }),
    }),
    repository,
    installation,
  }),
  issue_comment: z.looseObject({
    action: z.string(),
    comment: z.looseObject({
      id: z.number().int(),
      body: z.string().nullable(),
      user: z.looseObject({ login: z.string(), type: z.string() }).nullable(),
    }),
    issue: z.looseObject({ number: z.number().int().positive() }),
    repository,
    installation,
  }),
  installation: z.looseObject({ action: z.string(), installation }),
  installation_repositories: z.looseObject({ action: z.string(), installation }),
};

/** Event names whose payload shape is checked ({@link payloadProblem}); other events only need a JSON object. */
export const CHECKED_EVENTS = Object.keys(SCHEMAS);

/**
 * Checks a parsed webhook payload for the event `name` (the `X-GitHub-Event` header).
 *
 * Input: any JSON value. Output: null when it can be dispatched, else one short sentence for the
 * sender (at most three field paths, e.g. `pull_request event payload: pull_request is missing`),
 * containing no value from the payload. Every event must be a JSON object; the events in
 * {@link CHECKED_EVENTS} must also have their required fields.
 */
export function payloadProblem(name: string, payload: unknown): string | null {
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    return `${safeName(name)} event payload must be a JSON object`;
  }
  const schema = SCHEMAS[name];
  if (!schema) return null;
  const result = schema.safeParse(payload);
  if (result.success) return null;
  const issues = result.error.issues.slice(0, 3).map((i) => {
    const path = i.path.map(String).join(".") || "(payload)";
    const missing = i.code === "invalid_type" && /received undefined/.test(i.message);
    return missing ? `${path} is missing` : `${path} has the wrong type or value`;
  });
  const more = result.error.issues.length > 3 ? ` (and ${result.error.issues.length - 3} more)` : "";
  return `${name} event payload: ${issues.join("; ")}${more}`;
}

/** The event name as it may be echoed: GitHub's names are lower-case words with underscores. */
function safeName(name: string): string {
  return /^[a-z_]{1,60}$/.test(name) ? name : "webhook";
}
