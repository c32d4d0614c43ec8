/**
 * nock interceptors for a PostHog project described as raw PostHog JSON (`FakeProject`, the shapes in
 * posthog-api.md §3–4). Each helper registers exactly one expected request, so `pendingMocks()` proves
 * which calls were made.
 */
import nock from "nock";
import type { FakeProject } from "../../src/demo/fake-posthog.js";

export const POSTHOG = "https://us.posthog.com";
export const PROJECT_ID = "4242";
export const API_KEY = "phx_test_key_do_not_leak";

const SLIM = ["id", "name", "description", "start_date", "end_date", "feature_flag_key", "archived", "deleted", "status", "created_at"];

function page(results: unknown[]) {
  return { count: results.length, next: null, previous: null, results };
}

/** `GET …/feature_flags/?limit=100` → every flag on one page. */
export function nockFlags(scope: nock.Scope, project: FakeProject): nock.Scope {
  return scope
    .get(`/api/projects/${project.projectId}/feature_flags/`)
    .query({ limit: "100" })
    .matchHeader("authorization", `Bearer ${API_KEY}`)
    .reply(200, page(project.flags));
}

/** `GET …/feature_flags/?archived=true&limit=100` → the archived flags (none unless marked `archived`). */
export function nockArchivedFlags(scope: nock.Scope, project: FakeProject): nock.Scope {
  return scope
    .get(`/api/projects/${project.projectId}/feature_flags/`)
    .query({ archived: "true", limit: "100" })
    .reply(200, page(project.flags.filter((f) => f["archived"] === true)));
}

/** `GET …/experiments/?limit=100` → slim list items (newest PostHog builds). */
export function nockExperimentList(scope: nock.Scope, project: FakeProject): nock.Scope {
  const slim = project.experiments.map((e) => Object.fromEntries(SLIM.map((k) => [k, e[k] ?? null])));
  return scope.get(`/api/projects/${project.projectId}/experiments/`).query({ limit: "100" }).reply(200, page(slim));
}

/** `GET …/experiments/{id}/` → the detail. */
export function nockExperiment(scope: nock.Scope, project: FakeProject, id: number): nock.Scope {
  const e = project.experiments.find((x) => x["id"] === id);
  if (!e) throw new Error(`no experiment ${id} in the fixture`);
  return scope.get(`/api/projects/${project.projectId}/experiments/${id}/`).reply(200, e);
}

/** `POST …/query/` with an `ExperimentExposureQuery` for the experiment. */
export function nockExposures(scope: nock.Scope, project: FakeProject, id: number): nock.Scope {
  return scope
    .post(`/api/projects/${project.projectId}/query/`, (b) => b?.query?.kind === "ExperimentExposureQuery" && b.query.experiment_id === id)
    .reply(200, project.exposures[String(id)] as nock.Body);
}

/** `POST …/query/` with an `ExperimentQuery` for one metric. */
export function nockMetric(scope: nock.Scope, project: FakeProject, id: number, uuid: string): nock.Scope {
  return scope
    .post(
      `/api/projects/${project.projectId}/query/`,
      (b) => b?.query?.kind === "ExperimentQuery" && b.query.experiment_id === id && b.query.metric?.uuid === uuid,
    )
    .reply(200, project.metrics[`${id}:${uuid}`] as nock.Body);
}

/** One experiment's detail, its exposure query and a query per primary and secondary metric. */
export function nockExperimentAnalysis(scope: nock.Scope, project: FakeProject, id: number): nock.Scope {
  nockExperiment(scope, project, id);
  nockExposures(scope, project, id);
  const e = project.experiments.find((x) => x["id"] === id)!;
  const metrics = [...((e["metrics"] as any[]) ?? []), ...((e["metrics_secondary"] as any[]) ?? [])];
  for (const m of metrics) nockMetric(scope, project, id, m.uuid);
  return scope;
}

/** What an `/experiment` command reads for one experiment: the experiment list, then its analysis. */
export function nockExperimentReads(project: FakeProject, id: number, scope: nock.Scope = nock(POSTHOG)): nock.Scope {
  nockExperimentList(scope, project);
  return nockExperimentAnalysis(scope, project, id);
}

/** Every call one PR analysis makes for the listed experiments (flags, list, detail, exposures, metrics). */
export function nockAnalysis(project: FakeProject, experimentIds: number[]): nock.Scope {
  const scope = nock(POSTHOG);
  nockFlags(scope, project);
  nockExperimentList(scope, project);
  for (const id of experimentIds) nockExperimentAnalysis(scope, project, id);
  return scope;
}
