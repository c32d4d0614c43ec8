/**
 * JSON Schema for `.github/experiment-hygiene.yml`, generated from the zod schema with zod 4's
 * `z.toJSONSchema` (input side, so defaults are optional). `npm run schema` rewrites the committed copy.
 */
import { z } from "zod";
import { configSchema } from "./schema.js";

/** The JSON Schema (draft 2020-12) object describing the configuration file. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: "input", target: "draft-2020-12" }) as Record<string, unknown>;
  return {
    $id: "https://github.com/experiment-hygiene/experiment-hygiene/blob/main/src/config/experiment-hygiene.schema.json",
    title: "experiment-hygiene configuration (.github/experiment-hygiene.yml)",
    ...schema,
  };
}
