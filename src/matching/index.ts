/** Feature flag key references in diffs and files: public API of `src/matching/`. */
export { changedLinesFromDiff, changedLinesFromPatches, DiffParseError } from "./diff.js";
export type { ChangedLine, PatchFile } from "./diff.js";
export {
  createFlagMatcher,
  ignoreMatcher,
  matchDiff,
  MatchInputError,
  scanText,
  snippet,
} from "./matcher.js";
export type {
  DiffMatches,
  FlagChange,
  FlagMatcher,
  FlagReference,
  LineMatch,
  LineScan,
  MatchOptions,
  ReferenceKind,
  TextReference,
  UnknownKey,
} from "./matcher.js";
export { KeySuggester, maxSuggestionDistance, osaDistance } from "./distance.js";
export { isJvmFile, literalKey, SDK_SHAPES } from "./sdk.js";
export type { KeySlot, SdkShape } from "./sdk.js";
