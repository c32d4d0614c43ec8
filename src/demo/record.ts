/**
 * Regenerates `src/demo/snapshot.json`: serves the demo project (`project.ts`) with the fake PostHog server
 * and records it through the real client and recording transport — the same path as
 * `experiment-hygiene snapshot --out`. Run: `npm run build && node dist/demo/record.js`.
 */
import { fileURLToPath } from "node:url";
import { DEFAULT_CONFIG } from "../config/schema.js";
import { recordProject } from "../pipeline/record.js";
import { createHttpTransport, createPostHogClient, recordingTransport, saveSnapshot } from "../posthog/index.js";
import { startFakePostHog } from "./fake-posthog.js";
import { buildDemoProject, DEMO_NOW } from "./project.js";

export { DEMO_NOW };

const project = buildDemoProject(DEMO_NOW);
const server = await startFakePostHog(project, { apiKey: "phx_demo" });
try {
  const http = createHttpTransport({ host: server.url, projectId: project.projectId, apiKey: "phx_demo" });
  const recorder = recordingTransport(http);
  const posthog = createPostHogClient({ host: server.url, projectId: project.projectId, transport: recorder });
  await recordProject(posthog, DEFAULT_CONFIG);
  const snapshot = recorder.toSnapshot({ host: "https://us.posthog.com", recordedAt: DEMO_NOW });
  const out = fileURLToPath(new URL("../../src/demo/snapshot.json", import.meta.url));
  await saveSnapshot(out, snapshot);
  console.log(`wrote ${out}: ${Object.keys(snapshot.responses).length} responses`);
} finally {
  await server.close();
}
