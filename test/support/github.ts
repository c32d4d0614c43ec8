/**
 * Test support for the Probot app: real webhook payloads from @octokit/webhooks-examples (with an
 * `installation` added), a Probot instance authenticating as an App (so the token exchange is exercised),
 * and nock scopes for the GitHub calls every delivery makes.
 */
import { generateKeyPairSync } from "node:crypto";
import nock from "nock";
import { Probot, ProbotOctokit } from "probot";
import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };

export const INSTALLATION_ID = 1234;
export const OWNER = "Codertocat";
export const REPO = "Hello-World";
export const PR_NUMBER = 2;
export const BOT_LOGIN = "experiment-hygiene[bot]";
export const GITHUB = "https://api.github.com";

/** A private key generated once per test run (PKCS#1 PEM, as GitHub issues them). */
export const PRIVATE_KEY = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  publicKeyEncoding: { type: "spki", format: "pem" },
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
}).privateKey;

interface WebhookExample {
  name: string;
  examples: Record<string, unknown>[];
}

/** A deep copy of a real example payload for `name.action`, with `installation` added. */
export function examplePayload(name: string, action: string): Record<string, any> {
  const def = (examples as unknown as WebhookExample[]).find((e) => e.name === name);
  const example = def?.examples.find((p) => p["action"] === action);
  if (!example) throw new Error(`no @octokit/webhooks-examples payload for ${name}.${action}`);
  const payload = structuredClone(example) as Record<string, any>;
  payload["installation"] = { id: INSTALLATION_ID, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" };
  return payload;
}

/**
 * ProbotOctokit with retry and throttling off, so failing mocks fail fast and writes are not spaced.
 *
 * It must be a defaults *function*: Probot wraps the class with its own defaults function that replaces
 * `throttle` with its rate-limit handlers, and an object default (`{ throttle: { enabled: false } }`) is
 * merged underneath that and lost. plugin-throttling's Bottleneck groups are module-global, so with
 * throttling on every comment-creating write waits 3 s after the previous one in the whole test run.
 */
export const TestOctokit = ProbotOctokit.defaults((options: Record<string, any>) => ({
  ...options,
  retry: { enabled: false },
  throttle: { ...(options["throttle"] ?? {}), enabled: false },
}));

/** A Probot instance as the App (id 1) with Octokit's retry and throttling off ({@link TestOctokit}). */
export function makeProbot(): Probot {
  return new Probot({
    appId: 1,
    privateKey: PRIVATE_KEY,
    secret: "test-secret",
    logLevel: "fatal",
    Octokit: TestOctokit,
  });
}

/**
 * Mocks the installation token exchange and, unless `slug: false`, `GET /app` (the app's slug → its bot
 * login; asked only when a comment is about to be reconciled).
 */
export function nockAppAuth(scope: nock.Scope = nock(GITHUB), opts: { slug?: boolean } = {}): nock.Scope {
  scope
    .post(`/app/installations/${INSTALLATION_ID}/access_tokens`)
    .reply(201, { token: "ghs_test", expires_at: "2099-01-01T00:00:00Z", permissions: { pull_requests: "write" } });
  if (opts.slug === false) return scope;
  return scope
    .get("/app")
    .reply(200, { id: 1, slug: "experiment-hygiene", name: "experiment-hygiene", owner: { login: OWNER } });
}

/** Mocks `.github/experiment-hygiene.yml`: the YAML text, or 404 in the repo and the org's `.github`. */
export function nockConfig(scope: nock.Scope, yaml: string | null): nock.Scope {
  const path = `/repos/${OWNER}/${REPO}/contents/.github%2Fexperiment-hygiene.yml`;
  if (yaml !== null) return scope.get(path).reply(200, yaml);
  return scope
    .get(path)
    .reply(404, { message: "Not Found" })
    .get(`/repos/${OWNER}/.github/contents/.github%2Fexperiment-hygiene.yml`)
    .reply(404, { message: "Not Found" });
}

/**
 * The `experiment-hygiene` check run the pull_request handler publishes on the head commit (checks.enabled
 * is on by default): `POST /repos/{owner}/{repo}/check-runs` answered like GitHub (201 with the run's id).
 * `times` events; `onBody` sees each request body.
 */
export function nockCheckRun(scope: nock.Scope, opts: { times?: number; onBody?: (body: any) => void; id?: number } = {}): nock.Scope {
  return scope
    .post(`/repos/${OWNER}/${REPO}/check-runs`, (body: any) => {
      opts.onBody?.(body);
      return body.name === "experiment-hygiene";
    })
    .times(opts.times ?? 1)
    .reply(201, { id: opts.id ?? 4242001, name: "experiment-hygiene", status: "completed", head_sha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821" });
}
