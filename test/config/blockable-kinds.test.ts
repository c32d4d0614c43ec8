/**
 * `checks.block_on` accepts the validity threats the matching core reports plus `unknown-key`. The config
 * keeps its own literal list (it must not import the analysis core), so this test holds the two together.
 */
import { describe, expect, it } from "vitest";
import { CHECK_BLOCKABLE_KINDS } from "../../src/config/schema.js";
import { CODE_THREAT_KINDS } from "../../src/matching/threats.js";

describe("CHECK_BLOCKABLE_KINDS", () => {
  it("is every code threat kind, in the comment's order, plus unknown-key", () => {
    expect([...CHECK_BLOCKABLE_KINDS]).toEqual([...CODE_THREAT_KINDS, "unknown-key"]);
  });
});
