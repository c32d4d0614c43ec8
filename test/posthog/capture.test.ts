/** Findings captured as PostHog events through posthog-node, against a local capture endpoint. */
import { createServer, type Server } from "node:http";
import { gunzipSync } from "node:zlib";
import { PostHog } from "posthog-node";
import { afterEach, describe, expect, it } from "vitest";
import type { Finding } from "../../src/detectors/index.js";
import { createFindingCapture, findingCaptureFromEnv, FINDING_EVENT, ingestionHost } from "../../src/posthog/capture.js";

const finding: Finding = {
  kind: "srm",
  severity: "P2",
  experimentId: 103,
  experimentName: "Onboarding checklist",
  flagKey: "onboarding-checklist",
  flagId: 203,
  dedupeKey: "experiment:103:srm",
  title: "Sample ratio mismatch",
  contradiction: "…",
  cause: null,
  action: "…",
  onset: "2026-11-12",
  evidence: { p_value: 2e-9 },
  escalation: { pValue: 2e-9 },
  chart: null,
};

let server: Server | null = null;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

describe("finding capture", () => {
  it("sends one event per finding, without flag evaluation, and flushes on shutdown", async () => {
    const requests: { path: string; body: any }[] = [];
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        let raw = Buffer.concat(chunks);
        if (req.headers["content-encoding"] === "gzip") raw = gunzipSync(raw);
        requests.push({ path: req.url ?? "", body: raw.length ? JSON.parse(raw.toString("utf8")) : null });
        res.writeHead(200, { "content-type": "application/json" });
        res.end("{}");
      });
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const { port } = server.address() as { port: number };
    const capture = createFindingCapture(new PostHog("phc_test", { host: `http://127.0.0.1:${port}`, flushAt: 100 }));

    capture.capture([{ finding, action: "create", repository: "acme/shop" }]);
    await capture.shutdown(5000);

    expect(requests.every((r) => !/flags|decide|local_evaluation/.test(r.path))).toBe(true);
    const events = requests.flatMap((r) => r.body?.batch ?? []);
    expect(events).toHaveLength(1);
    expect(events[0].event).toBe(FINDING_EVENT);
    expect(events[0].distinct_id).toBe("experiment-hygiene");
    expect(events[0].properties).toMatchObject({
      kind: "srm",
      experiment_id: 103,
      flag_key: "onboarding-checklist",
      p_value: 2e-9,
      action: "create",
      repository: "acme/shop",
    });
  });

  it("is off without POSTHOG_PROJECT_API_KEY and derives the ingestion host", () => {
    expect(findingCaptureFromEnv({})).toBeNull();
    expect(ingestionHost("https://us.posthog.com")).toBe("https://us.i.posthog.com");
    expect(ingestionHost("https://eu.posthog.com/")).toBe("https://eu.i.posthog.com");
    expect(ingestionHost("http://127.0.0.1:8000/")).toBe("http://127.0.0.1:8000");
  });
});
