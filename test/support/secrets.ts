/**
 * Malformed PostHog personal API keys as users paste them (issue #8): with a line break, wrapped in
 * typographic quotes, with a zero-width space — and a helper that finds any trace of a secret in output.
 */

/** A well-formed personal API key (fake): `phx_` and 43 letters and digits, like PostHog's. */
export const GOOD_KEY = "phx_Q7fLr2mX9aKd4TzW8pNc1sVb6HjE3yGu5oRi0AeZt";

/** The malformed keys, each with the 1-based position and the class of its first bad character. */
export const BAD_KEYS: { label: string; key: string; position: number; cls: string }[] = [
  { label: "a line break", key: `${GOOD_KEY.slice(0, 30)}\n${GOOD_KEY.slice(30)}`, position: 31, cls: "a line break (U+000A)" },
  { label: "smart quotes", key: `\u201C${GOOD_KEY}\u201D`, position: 1, cls: 'a typographic ("smart") quote (U+201C)' },
  { label: "a zero-width space", key: `${GOOD_KEY.slice(0, 12)}\u200B${GOOD_KEY.slice(12)}`, position: 13, cls: "an invisible zero-width character (U+200B)" },
];

/**
 * Every trace of `secret` found in `text`: the whole value, its JSON-escaped form, and each piece of
 * 8 or more characters between whitespace, quotes or invisible characters. Empty when nothing leaked.
 */
export function traces(text: string, secret: string): string[] {
  const forms = new Set([secret, JSON.stringify(secret).slice(1, -1)]);
  for (const piece of secret.split(/[\s"'\u201C\u201D\u2018\u2019\u200B\uFEFF\\]+/)) if (piece.length >= 8) forms.add(piece);
  // The longest piece that contains no bad character is enough; shorter infixes would be noise.
  return [...forms].filter((f) => text.includes(f));
}
