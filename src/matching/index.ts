/** Feature flag key references in diffs and files: public API of `src/matching/`. */
export { changedLinesFromDiff, changedLinesFromPatches, CombinedDiffError, decodeGitPath, DiffParseError } from "./diff.js";
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
  LineContext,
  LineScan,
  MatchOptions,
  ReferenceKind,
  TextReference,
  UnknownKey,
} from "./matcher.js";
export { KeySuggester, maxSuggestionDistance, osaDistance } from "./distance.js";
export { isJvmFile, literalKey, SDK_SHAPES } from "./sdk.js";
export type { KeySlot, SdkShape } from "./sdk.js";
export { BlockTracker, isFlagName, isKeyPosition, isWordLikeKey } from "./key-position.js";
