/**
 * The slice of Octokit the GitHub adapters use. Probot's `context.octokit` and `@octokit/rest`'s `Octokit`
 * both satisfy it, so the same reconcilers serve the App and token-based (CLI/Actions) runs.
 */
import type { Octokit } from "@octokit/rest";

/** An Octokit client with the REST endpoint methods and pagination (Probot's or @octokit/rest's). */
export type GitHubClient = Pick<Octokit, "rest" | "paginate" | "request">;

/** owner/repo coordinates. */
export interface RepoRef {
  owner: string;
  repo: string;
}

/** A minimal pino-like logger; Probot's `context.log` fits. */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
