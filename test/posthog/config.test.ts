import { describe, expect, it } from "vitest";
import { PostHogConfigError, posthogConfigFromEnv } from "../../src/posthog/index.js";
import { KEY } from "./helpers.js";

describe("posthogConfigFromEnv", () => {
  it("reads the variables and defaults the host to PostHog Cloud US", () => {
    expect(posthogConfigFromEnv({ POSTHOG_PROJECT_ID: "12", POSTHOG_PERSONAL_API_KEY: KEY })).toEqual({
      host: "https://us.posthog.com",
      projectId: "12",
      apiKey: KEY,
    });
  });

  it("strips trailing slashes and accepts a local http host with a port", () => {
    const env = { POSTHOG_HOST: "http://127.0.0.1:8010//", POSTHOG_PROJECT_ID: "1", POSTHOG_PERSONAL_API_KEY: KEY };
    expect(posthogConfigFromEnv(env).host).toBe("http://127.0.0.1:8010");
    expect(posthogConfigFromEnv({ ...env, POSTHOG_HOST: "https://eu.posthog.com/" }).host).toBe("https://eu.posthog.com");
  });

  it("names every missing variable (empty counts as missing)", () => {
    let err: unknown;
    try {
      posthogConfigFromEnv({ POSTHOG_PROJECT_ID: "  " });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PostHogConfigError);
    const e = err as PostHogConfigError;
    expect(e.variables).toEqual(["POSTHOG_PROJECT_ID", "POSTHOG_PERSONAL_API_KEY"]);
    expect(e.message).toContain("POSTHOG_PROJECT_ID");
    expect(e.message).toContain("POSTHOG_PERSONAL_API_KEY");
  });

  it("rejects a non-numeric project id and a non-URL host without echoing the key", () => {
    let err: unknown;
    try {
      posthogConfigFromEnv({ POSTHOG_HOST: "us.posthog.com", POSTHOG_PROJECT_ID: "my-project", POSTHOG_PERSONAL_API_KEY: KEY });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PostHogConfigError);
    const e = err as PostHogConfigError;
    expect(e.variables).toEqual(["POSTHOG_HOST", "POSTHOG_PROJECT_ID"]);
    expect(e.message).toContain('"my-project"');
    expect(e.message).not.toContain(KEY);
  });
});
