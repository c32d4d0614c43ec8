/**
 * Record / replay of PostHog responses.
 *
 * A snapshot stores the **raw** JSON bodies by semantic request key (see `transport.ts`), so a replay runs
 * the same zod parsing and normalisation as a live run, without network. Used by the demo, the bench and
 * tests; `snapshotNow()` gives the recording time, which replays use as "now".
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { PostHogError, PostHogSchemaError, PostHogSnapshotMissError } from "./errors.js";
import { parseWith } from "./schemas.js";
import type { Transport, TransportRequest } from "./transport.js";

/** Format tag of snapshot files. */
export const SNAPSHOT_FORMAT = "experiment-hygiene-snapshot/1";

/** A recorded set of PostHog responses. */
export interface PostHogSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  /** ISO 8601 time of the recording; replays use it as "now". */
  recorded_at: string;
  /** Host the responses came from, e.g. `https://us.posthog.com`. */
  host: string;
  project_id: string;
  /** Raw JSON bodies by request key (`GET /api/…`, `POST /api/projects/1/query/ ExperimentQuery …`). */
  responses: Record<string, unknown>;
  /**
   * Optional: HTTP 4xx answers (other than 401/403/404/429) recorded by key, e.g. a query PostHog refused
   * with 400, so a replay reproduces them as a {@link PostHogError} with that status.
   */
  errors?: Record<string, { status: number; message: string }>;
}

const snapshotSchema = z.looseObject({
  format: z.literal(SNAPSHOT_FORMAT),
  recorded_at: z.string().refine((s) => !Number.isNaN(Date.parse(s)), "expected an ISO 8601 date"),
  host: z.string(),
  project_id: z.string(),
  responses: z.record(z.string(), z.unknown()),
  errors: z.record(z.string(), z.looseObject({ status: z.number(), message: z.string() })).optional(),
});

/** A transport that records what its inner transport returns. */
export type RecordingTransport = Transport & {
  /** The responses recorded so far, as a snapshot stamped with the current time. */
  toSnapshot(meta?: { host?: string; projectId?: string; recordedAt?: Date }): PostHogSnapshot;
};

/** A write (`write: true`, or any PATCH): something a snapshot must never pretend to perform. */
function isWrite(req: TransportRequest): boolean {
  return req.write === true || req.method === "PATCH";
}

/**
 * Wraps `inner` and stores each raw response under its key (a repeated key keeps the latest body).
 * Errors are rethrown; plain 4xx {@link PostHogError}s (e.g. HTTP 400 on a query) are also recorded.
 *
 * Writes are refused: recording is a read-only capture for offline replays, and a write made while
 * recording would change PostHog and could not be replayed (replays refuse writes too).
 *
 * @param meta host and project id for `toSnapshot()`; default: `inner.host` / `inner.projectId` when the
 *   inner transport is an `HttpTransport`.
 * @throws from the transport: PostHogError (endpoint `METHOD /path`) for a write, without calling `inner`.
 * @throws from `toSnapshot()`: Error when host or project id are unknown.
 */
export function recordingTransport(
  inner: Transport & { host?: string; projectId?: string },
  meta: { host?: string; projectId?: string } = {},
): RecordingTransport {
  const responses: Record<string, unknown> = {};
  const errors: Record<string, { status: number; message: string }> = {};
  const transport: Transport = async (req) => {
    if (isWrite(req)) {
      throw new PostHogError(
        `recording is read-only: ${req.method} ${req.path} was not sent (writes are never recorded into snapshots)`,
        { endpoint: `${req.method} ${req.path}` },
      );
    }
    try {
      const body = await inner(req);
      responses[req.key] = body;
      delete errors[req.key];
      return body;
    } catch (err) {
      if (
        err instanceof PostHogError &&
        err.constructor === PostHogError &&
        err.status !== undefined &&
        err.status >= 400 &&
        err.status < 500
      ) {
        errors[req.key] = { status: err.status, message: err.message };
      }
      throw err;
    }
  };
  return Object.assign(transport, {
    toSnapshot(over: { host?: string; projectId?: string; recordedAt?: Date } = {}): PostHogSnapshot {
      const host = over.host ?? meta.host ?? inner.host;
      const projectId = over.projectId ?? meta.projectId ?? inner.projectId;
      if (host === undefined || projectId === undefined) {
        throw new Error("recordingTransport: pass { host, projectId } to know what the snapshot was recorded from");
      }
      const snap: PostHogSnapshot = {
        format: SNAPSHOT_FORMAT,
        recorded_at: (over.recordedAt ?? new Date()).toISOString(),
        host,
        project_id: projectId,
        responses: structuredClone(responses),
      };
      if (Object.keys(errors).length > 0) snap.errors = structuredClone(errors);
      return snap;
    },
  });
}

/**
 * Replays a snapshot: resolves each request with a deep copy of the recorded raw body.
 *
 * @throws PostHogSnapshotMissError naming the key when the snapshot has no response for it;
 *   PostHogError with the recorded status for a recorded 4xx answer; PostHogError ("snapshots are
 *   read-only; … was not sent") for any write (`write: true` or PATCH), whatever the snapshot holds.
 */
export function snapshotTransport(snapshot: PostHogSnapshot): Transport & { host: string; projectId: string } {
  const transport: Transport = async (req) => {
    if (isWrite(req)) {
      throw new PostHogError(
        `snapshots are read-only; ${req.method} ${req.path} was not sent (replaying ${snapshot.host}, project ${snapshot.project_id})`,
        { endpoint: `${req.method} ${req.path}` },
      );
    }
    if (Object.prototype.hasOwnProperty.call(snapshot.responses, req.key)) {
      return structuredClone(snapshot.responses[req.key]);
    }
    const recorded = snapshot.errors?.[req.key];
    if (recorded) {
      throw new PostHogError(recorded.message, { endpoint: `${req.method} ${req.path}`, status: recorded.status });
    }
    throw new PostHogSnapshotMissError(req.key);
  };
  return Object.assign(transport, { host: snapshot.host, projectId: snapshot.project_id });
}

/** The recording time of a snapshot (ISO 8601), used as "now" by replays. */
export function snapshotNow(snapshot: PostHogSnapshot): string {
  return snapshot.recorded_at;
}

/**
 * Reads and validates a snapshot file (JSON).
 *
 * @throws PostHogSchemaError (endpoint `snapshot <file>`) when the file is not JSON or not in
 *   {@link SNAPSHOT_FORMAT}; the fs error when it cannot be read.
 */
export async function loadSnapshot(file: string): Promise<PostHogSnapshot> {
  const text = await readFile(file, "utf8");
  const endpoint = `snapshot ${file}`;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new PostHogSchemaError(endpoint, [{ path: "", message: `not JSON: ${(err as Error).message}` }], err);
  }
  return parseWith(snapshotSchema, data, endpoint) as PostHogSnapshot;
}

/** Writes a snapshot as JSON with 2-space indent and a trailing newline (creates the directory). */
export async function saveSnapshot(file: string, snapshot: PostHogSnapshot): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(snapshot, null, 2)}\n`, "utf8");
}
