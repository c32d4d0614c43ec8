/**
 * Configuration through the pull_request handler (Probot + nock): an opt-out beside a typo posts nothing,
 * a file that is not YAML gets exactly one config-error comment (line and column, no API URL, no PostHog
 * call, no diff read), and a bad enum value does not throw `ignore_paths` away.
 */
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app/index.js";
import { buildProject, DEMO_EXPERIMENTS } from "../../src/demo/project.js";
import { PR_COMMENT_MARKER } from "../../src/github/sticky-comment.js";
import { createPostHogClient } from "../../src/posthog/index.js";
import { BOT_LOGIN, examplePayload, GITHUB, makeProbot, nockAppAuth, nockCheckRun, nockConfig, OWNER, PR_NUMBER, REPO } from "../support/github.js";
import { API_KEY, nockFlags, POSTHOG, PROJECT_ID } from "../support/posthog.js";
import { CHECKOUT_DIFF } from "../support/pull-request.js";

const NOW = new Date("2026-11-20T12:00:00Z");
const project = buildProject(NOW, [DEMO_EXPERIMENTS[0]!], [], PROJECT_ID);
const comments = `/repos/${OWNER}/${REPO}/issues/${PR_NUMBER}/comments`;
const DIFF = CHECKOUT_DIFF;

/** Requests nock had no mock for (each would have failed or been swallowed as a PostHog outage). */
let unmatched: string[] = [];
const onNoMatch = (req: { method?: string; path?: string; options?: { host?: string } }) => {
  unmatched.push(`${req.method ?? "?"} ${req.options?.host ?? ""}${req.path ?? ""}`);
};

async function setup() {
  const probot = makeProbot();
  const posthog = createPostHogClient({ host: POSTHOG, projectId: PROJECT_ID, apiKey: API_KEY, retry: { limit: 0 } });
  await probot.load(createApp({ posthog, now: () => NOW }));
  return probot;
}

function receive(probot: Awaited<ReturnType<typeof setup>>, id: string) {
  return probot.receive({ id, name: "pull_request", payload: examplePayload("pull_request", "opened") as any });
}

beforeEach(() => {
  nock.disableNetConnect();
  unmatched = [];
  nock.emitter.on("no match", onNoMatch);
});

afterEach(() => {
  nock.emitter.removeListener("no match", onNoMatch);
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("pull_request and the configuration file", () => {
  it("posts nothing when the file says enabled: false beside a typo and a bad value", async () => {
    const probot = await setup();
    // Only the token and the config: no diff, no comment list, no comment, no PostHog.
    const gh = nockAppAuth(nock(GITHUB), { slug: false });
    nockConfig(gh, "enabled: false\ndecison:\n  alpha: 0.01\ncomment:\n  max_experiments: -3\n");

    await receive(probot, "d-optout-typo");

    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(unmatched).toStrictEqual([]);
  });

  it("posts nothing when enabled: false is readable in a file that is otherwise not YAML", async () => {
    const probot = await setup();
    const gh = nockAppAuth(nock(GITHUB), { slug: false });
    nockConfig(gh, "enabled: false\ndecision:\n  alpha: [0.05\n");

    await receive(probot, "d-optout-broken");

    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(unmatched).toStrictEqual([]);
  });

  it("posts one config-error comment with line and column, and nothing else, when the file is not YAML", async () => {
    const probot = await setup();
    const posted = vi.fn((body: any) => typeof body.body === "string");
    let stored: { id: number; body: string; user: { login: string } } | null = null;
    const gh = nockAppAuth();
    nockConfig(gh, "decision:\n  alpha: 0.01\n  correction: [holm\nignore_paths: ['vendor/**']\n");
    gh.get(comments).query({ per_page: "100" }).reply(200, () => (stored ? [stored] : []));
    gh.post(comments, posted).reply(201, (_uri, body: any) => {
      stored = { id: 9100, body: body.body, user: { login: BOT_LOGIN } };
      return stored;
    });
    // A second event with the same broken file finds the comment unchanged: still one comment, no write.
    nockConfig(gh, "decision:\n  alpha: 0.01\n  correction: [holm\nignore_paths: ['vendor/**']\n");
    gh.get(comments).query({ per_page: "100" }).reply(200, () => [stored]);

    await receive(probot, "d-broken-1");
    await receive(probot, "d-broken-2");

    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(unmatched).toStrictEqual([]); // no diff read, no PostHog call
    expect(posted).toHaveBeenCalledTimes(1);
    const body: string = (posted.mock.calls[0]![0] as any).body;
    expect(body.startsWith(PR_COMMENT_MARKER)).toBe(true);
    expect(body).toContain("**Config error:** `.github/experiment-hygiene.yml` cannot be read");
    expect(body).toMatch(
      /> - \[line 4, column 1\]\(https:\/\/github\.com\/Codertocat\/Hello-World\/blob\/HEAD\/\.github\/experiment-hygiene\.yml#L4\): is not valid YAML: /,
    );
    expect(body.match(/^> - /gm)).toHaveLength(1);
    expect(body).not.toContain("api.github.com");
    expect(body).not.toContain("invalid YAML)");
    expect(body).not.toContain("Promote");
  });

  it("keeps ignore_paths when an unrelated enum value is bad (the ignored file's flag is not reported)", async () => {
    const probot = await setup();
    const posted = vi.fn((_body: any) => true);
    const gh = nockAppAuth();
    nockConfig(gh, "ignore_paths:\n  - 'src/**'\ndecision:\n  correction: bonferoni\n");
    nockCheckRun(gh); // the check run (checks.enabled by default) with no reference
    gh.get(`/repos/${OWNER}/${REPO}/pulls/${PR_NUMBER}`).reply(200, DIFF, { "content-type": "text/plain" });
    gh.get(comments).query({ per_page: "100" }).reply(200, []);
    gh.post(comments, posted).reply(201, { id: 9101 });
    const ph = nockFlags(nock(POSTHOG), project);

    await receive(probot, "d-enum");

    expect(gh.pendingMocks()).toStrictEqual([]);
    expect(ph.pendingMocks()).toStrictEqual([]);
    expect(unmatched).toStrictEqual([]); // src/checkout.ts was ignored: no experiment was read
    const body: string = (posted.mock.calls[0]![0] as any).body;
    expect(body).toContain("**Config problems** in `.github/experiment-hygiene.yml`");
    expect(body).toContain("- `decision.correction` at [line 4, column 15]");
    expect(body).toContain("the default \"bonferroni\" is used");
    expect(body).not.toContain("new-checkout");
  });
});
