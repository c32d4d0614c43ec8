/** `npm run schema`: writes the JSON Schema generated from the zod schema next to the source. */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { configJsonSchema } from "./json-schema.js";

const target = fileURLToPath(new URL("../../src/config/experiment-hygiene.schema.json", import.meta.url));
writeFileSync(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
