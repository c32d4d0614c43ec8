/**
 * Links into the PostHog web app. PostHog's URLs: `/project/{project_id}/experiments/{id}` and
 * `/project/{project_id}/feature_flags/{id}` on the web host (`https://us.posthog.com`, …).
 */

/** Web URL of an experiment. */
export function experimentUrl(host: string, projectId: string, experimentId: number): string {
  return `${host.replace(/\/+$/, "")}/project/${encodeURIComponent(projectId)}/experiments/${experimentId}`;
}

/** Web URL of a feature flag. */
export function featureFlagUrl(host: string, projectId: string, flagId: number): string {
  return `${host.replace(/\/+$/, "")}/project/${encodeURIComponent(projectId)}/feature_flags/${flagId}`;
}
