/**
 * Mapping a key path of a parsed configuration file (`["decision", "alpha"]`, `["ignore_paths", 2]`) back
 * to a line and column of its YAML text, with the `yaml` package's Document API (node ranges) and
 * `LineCounter`.
 */
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from "yaml";

/** A 1-based line and column in the file's text. */
export interface Position {
  line: number;
  column: number;
}

/**
 * Where a key path is in the document.
 *
 * @param doc the parsed document (from `parseDocument(text, { lineCounter })`).
 * @param lineCounter the counter given to `parseDocument`.
 * @param path object keys and array indexes from the document's root.
 * @param target `"key"`: the last key itself (unknown keys); `"value"`: its value (bad values), or the
 *   key when the value is empty.
 * @returns the position of the deepest node of `path` that exists in the document (so a path that runs
 *   past the document still points somewhere near), or null for an empty document.
 */
export function locate(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly (string | number)[],
  target: "key" | "value",
): Position | null {
  let node: unknown = doc.contents;
  let at: Node | null = isNode(node) ? node : null;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const key = isNode(pair.key) ? pair.key : null;
      const value = isNode(pair.value) ? pair.value : null;
      if (last && target === "key") {
        at = key ?? at;
        break;
      }
      at = value ?? key ?? at;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg];
      if (!isNode(item)) break;
      at = item;
      node = item;
    } else {
      break;
    }
  }
  const offset = at?.range?.[0];
  if (offset === undefined) return null;
  const pos = lineCounter.linePos(offset);
  return pos.line > 0 ? { line: pos.line, column: pos.col } : null;
}

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && "range" in value;
}
