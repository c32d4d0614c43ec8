/** Feature flag key references in diffs and files: public API of `src/matching/`. */
export { changedLinesFromDiff, changedLinesFromPatches, CombinedDiffError, decodeGitPath, DiffParseError, hunkOf } from "./diff.js";
export type { ChangedLine, DiffHunk, HunkSide, PatchFile } from "./diff.js";
export { ConstantTable, extractDefinitions, resolveUse, usePath } from "./constants.js";
export type { ConstantDefinition, DefinitionTier, LineList, Resolution } from "./constants.js";
export { commentStart, scanLines, templateParts } from "./document.js";
export type { DocumentLine, DocumentMatch, ScanLinesOptions } from "./document.js";
export { buildReferenceIndex, keySetFingerprint, otherSdkCalls, ReferenceIndexBuilder } from "./reference-index.js";
export type { ReferenceIndex } from "./reference-index.js";
export {
  createFlagMatcher,
  ignoreMatcher,
  lazyLines,
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
