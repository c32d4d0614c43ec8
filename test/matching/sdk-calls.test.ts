import { describe, expect, it } from "vitest";
import { createFlagMatcher } from "../../src/matching/index.js";

const KEYS = ["new-checkout", "pricing_v2", "dark-mode", "onboarding-flow", "ab", "beta_banner", "old-cart"];
const matcher = createFlagMatcher(KEYS);

/** [sdk, file, line, keys expected as "sdk-call" references] — one realistic line per call shape (flag-references.md §4). */
const SDK_LINES: [string, string, string, string[]][] = [
  ["posthog-js isFeatureEnabled", "web/app.ts", "if (posthog.isFeatureEnabled('new-checkout')) {", ["new-checkout"]],
  ["posthog-js getFeatureFlag", "web/app.ts", 'const variant = posthog.getFeatureFlag("pricing_v2")', ["pricing_v2"]],
  ["posthog-js getFeatureFlagPayload", "web/app.ts", "const payload = posthog.getFeatureFlagPayload('dark-mode')", ["dark-mode"]],
  ["posthog-js getFeatureFlagResult", "web/app.ts", 'const result = posthog.getFeatureFlagResult("onboarding-flow")', ["onboarding-flow"]],
  ["posthog-js optional call", "web/app.ts", "const on = window.posthog?.isFeatureEnabled?.('dark-mode')", ["dark-mode"]],
  ["posthog-js early access", "web/app.ts", "posthog.updateEarlyAccessFeatureEnrollment('beta_banner', true)", ["beta_banner"]],
  ["posthog-js override object", "web/app.ts", "posthog.featureFlags.override({ 'new-checkout': 'test', pricing_v2: true })", ["new-checkout", "pricing_v2"]],
  ["posthog-js override array", "web/app.ts", "posthog.featureFlags.override(['dark-mode'])", ["dark-mode"]],
  ["posthog-js bootstrap", "web/init.ts", "bootstrap: { featureFlags: { 'onboarding-flow': true } },", ["onboarding-flow"]],
  ["React useFeatureFlagEnabled", "web/Cart.tsx", "const enabled = useFeatureFlagEnabled('new-checkout')", ["new-checkout"]],
  ["React useFeatureFlagVariantKey", "web/Cart.tsx", 'const variant = useFeatureFlagVariantKey("pricing_v2")', ["pricing_v2"]],
  ["React useFeatureFlagPayload<T>", "web/Cart.tsx", "const banner = useFeatureFlagPayload<BannerPayload>('beta_banner')", ["beta_banner"]],
  ["React useFeatureFlagResult", "web/Cart.tsx", "const { enabled, variant } = useFeatureFlagResult('dark-mode')", ["dark-mode"]],
  ["React <PostHogFeature flag=\"\">", "web/Cart.tsx", '<PostHogFeature flag="new-checkout" match={true}>', ["new-checkout"]],
  ["React <PostHogFeature flag={''}>", "web/Cart.tsx", "<PostHogFeature flag={'pricing_v2'} match=\"test\" fallback={<Old />}>", ["pricing_v2"]],
  ["Next useFeatureFlag", "web/page.tsx", "const flag = useFeatureFlag('onboarding-flow')", ["onboarding-flow"]],
  ["Nuxt auto-import", "web/Banner.vue", "const show = useFeatureFlagEnabled('beta_banner')", ["beta_banner"]],
  ["React Native useFeatureFlagWithPayload", "app/Home.tsx", "const [enabled, payload] = useFeatureFlagWithPayload('dark-mode')", ["dark-mode"]],
  ["React Native onFeatureFlag", "app/Home.tsx", "posthog.onFeatureFlag('beta_banner', (value) => setShow(!!value))", ["beta_banner"]],
  ["Node isFeatureEnabled", "server/flags.ts", "if (await client.isFeatureEnabled('new-checkout', user.id)) {", ["new-checkout"]],
  ["Node getFeatureFlag", "server/flags.ts", 'const v = await client.getFeatureFlag("pricing_v2", distinctId)', ["pricing_v2"]],
  ["Node evaluateFlags flagKeys", "server/flags.ts", "const flags = await client.evaluateFlags(distinctId, { flagKeys: ['new-checkout', 'dark-mode'] })", ["new-checkout", "dark-mode"]],
  ["Node getAllFlags flagKeys", "server/flags.ts", "const all = await client.getAllFlags(id, { flagKeys: ['pricing_v2'] })", ["pricing_v2"]],
  ["Node snapshot isEnabled", "server/flags.ts", "if (flags.isEnabled('dark-mode')) {", ["dark-mode"]],
  ["Node snapshot getFlag", "server/flags.ts", "const v = flags.getFlag('pricing_v2')", ["pricing_v2"]],
  ["Node snapshot getFlagPayload", "server/flags.ts", 'const p = flags.getFlagPayload("beta_banner")', ["beta_banner"]],
  ["Node snapshot only", "server/flags.ts", "const subset = flags.only(['onboarding-flow'])", ["onboarding-flow"]],
  ["Python feature_enabled", "app/views.py", 'if posthog.feature_enabled("new-checkout", user.distinct_id):', ["new-checkout"]],
  ["Python posthoganalytics", "posthog/api/x.py", 'variant = posthoganalytics.get_feature_flag("pricing_v2", str(user.distinct_id))', ["pricing_v2"]],
  ["Python payload", "app/views.py", 'payload = posthog.get_feature_flag_payload("dark-mode", distinct_id)', ["dark-mode"]],
  ["Python result", "app/views.py", 'result = posthog.get_feature_flag_result("beta_banner", distinct_id)', ["beta_banner"]],
  ["Python keyword key=", "app/views.py", 'on = posthog.feature_enabled(key="onboarding-flow", distinct_id=uid)', ["onboarding-flow"]],
  ["Python evaluate_flags flag_keys", "app/views.py", 'flags = posthog.evaluate_flags(distinct_id, flag_keys=["onboarding-flow", "dark-mode"])', ["onboarding-flow", "dark-mode"]],
  ["Python snapshot is_enabled", "app/views.py", 'if flags.is_enabled("new-checkout"):', ["new-checkout"]],
  ["Go IsFeatureEnabled", "svc/flags.go", 'enabled, err := client.IsFeatureEnabled(posthog.FeatureFlagPayload{Key: "new-checkout", DistinctId: userID})', ["new-checkout"]],
  ["Go GetFeatureFlag", "svc/flags.go", 'variant, _ := client.GetFeatureFlag(posthog.FeatureFlagPayload{DistinctId: id, Key: "pricing_v2"})', ["pricing_v2"]],
  ["Go snapshot IsEnabled", "svc/flags.go", 'if flags.IsEnabled("dark-mode") {', ["dark-mode"]],
  ["Ruby is_feature_enabled", "app/models/user.rb", "if posthog.is_feature_enabled('new-checkout', current_user.id)", ["new-checkout"]],
  ["Ruby get_feature_flag", "app/models/user.rb", "variant = posthog.get_feature_flag('pricing_v2', user.id)", ["pricing_v2"]],
  ["Ruby paren-less call", "app/models/user.rb", "payload = posthog.get_feature_flag_payload 'dark-mode', user.id", ["dark-mode"]],
  ["Ruby symbol key", "app/models/user.rb", "posthog.is_feature_enabled(:beta_banner, user.id)", ["beta_banner"]],
  ["Ruby snapshot enabled?", "app/models/user.rb", "if flags.enabled?('onboarding-flow')", ["onboarding-flow"]],
  ["PHP PostHog::isFeatureEnabled", "src/Flags.php", "if (PostHog::isFeatureEnabled('new-checkout', $user->id)) {", ["new-checkout"]],
  ["PHP PostHog::getFeatureFlag", "src/Flags.php", "$variant = PostHog::getFeatureFlag('pricing_v2', $distinctId);", ["pricing_v2"]],
  ["PHP getFeatureFlagPayload", "src/Flags.php", "$payload = PostHog::getFeatureFlagPayload('dark-mode', $id);", ["dark-mode"]],
  ["PHP snapshot ->isEnabled", "src/Flags.php", "if ($flags->isEnabled('onboarding-flow')) {", ["onboarding-flow"]],
  ["Android isFeatureEnabled", "app/src/Main.kt", 'if (PostHog.isFeatureEnabled("new-checkout")) {', ["new-checkout"]],
  ["Android getFeatureFlag with default", "app/src/Main.kt", 'val variant = PostHog.getFeatureFlag("pricing_v2", "control")', ["pricing_v2"]],
  ["iOS Swift", "ios/App.swift", 'if PostHogSDK.shared.isFeatureEnabled("dark-mode") {', ["dark-mode"]],
  ["Flutter", "lib/home.dart", "if (await Posthog().isFeatureEnabled('onboarding-flow')) {", ["onboarding-flow"]],
  ["JVM server key second (expr id)", "srv/Flags.java", 'if (postHog.isFeatureEnabled(user.getId(), "new-checkout")) {', ["new-checkout"]],
  ["JVM server key second (literal id)", "srv/Flags.kt", 'val v = postHog.getFeatureFlag("user-42", "pricing_v2")', ["pricing_v2"]],
  ["JVM server payload", "srv/Flags.java", 'Object p = postHog.getFeatureFlagPayload(distinctId, "dark-mode");', ["dark-mode"]],
  ["JVM server snapshot", "srv/Flags.java", 'boolean on = postHog.evaluateFlags(distinctId).isEnabled("beta_banner");', ["beta_banner"]],
  ["legacy Java", "srv/Legacy.java", 'if (posthog.isFeatureFlagEnabled("dark-mode", distinctId)) {', ["dark-mode"]],
  [".NET IsFeatureEnabledAsync", "Api/Flags.cs", 'if (await posthog.IsFeatureEnabledAsync("new-checkout", user.Id))', ["new-checkout"]],
  [".NET GetFeatureFlagAsync", "Api/Flags.cs", 'var variant = await posthog.GetFeatureFlagAsync("pricing_v2", distinctId);', ["pricing_v2"]],
  [".NET snapshot IsEnabled", "Api/Flags.cs", 'if (flags.IsEnabled("dark-mode")) {', ["dark-mode"]],
  ["Elixir FeatureFlags.check", "lib/app/flags.ex", 'PostHog.FeatureFlags.check("new-checkout", user.id)', ["new-checkout"]],
  ["Elixir Evaluations.enabled?/2", "lib/app/flags.ex", 'if Evaluations.enabled?(snapshot, "dark-mode") do', ["dark-mode"]],
  ["Elixir pipe Evaluations.enabled?/1", "lib/app/flags.ex", 'snapshot |> PostHog.FeatureFlags.Evaluations.enabled?("pricing_v2")', ["pricing_v2"]],
];

describe("PostHog SDK calls with a known key", () => {
  it.each(SDK_LINES)("%s", (_sdk, file, line, keys) => {
    const found = matcher.scanLineDetailed(line, file);
    expect(found.unknownKeys).toEqual([]);
    for (const key of keys) {
      expect(found.references).toContainEqual({ key, kind: "sdk-call", inSdkCall: true });
    }
    expect(found.references.map((r) => r.key).sort()).toEqual([...keys].sort());
  });
});

/** Deletes one character inside the key (index 4): a typo at OSA distance 1. */
function typo(key: string): string {
  return key.slice(0, 4) + key.slice(5);
}

describe("a typo in the key of each SDK call shape is an unknown key with a suggestion", () => {
  const rows = SDK_LINES.filter(([, , , keys]) => keys.length === 1);
  it.each(rows)("%s", (_sdk, file, line, keys) => {
    const key = keys[0]!;
    const wrong = typo(key);
    expect(KEYS).not.toContain(wrong);
    const typoLine = line.replace(key, wrong);
    const found = matcher.scanLineDetailed(typoLine, file);
    expect(found.references).toEqual([]);
    expect(found.unknownKeys).toEqual([{ key: wrong, suggestion: key }]);
  });
});

describe("unknown keys", () => {
  it("reports an unknown literal in a PostHog-specific call even without a close known key", () => {
    expect(matcher.scanLineDetailed("if (posthog.isFeatureEnabled('telemetry-v9')) {").unknownKeys).toEqual([
      { key: "telemetry-v9", suggestion: null },
    ]);
    expect(matcher.scanLineDetailed('const flags = await client.evaluateFlags(id, { flagKeys: ["zzz-unknown", "new-checkout"] })')).toEqual({
      references: [{ key: "new-checkout", kind: "sdk-call", inSdkCall: true }],
      unknownKeys: [{ key: "zzz-unknown", suggestion: null }],
    });
  });

  it("reports unknown literals in generic calls (isEnabled, enabled?, only) only when a known key is close", () => {
    expect(matcher.scanLineDetailed("if (config.isEnabled('telemetry')) {").unknownKeys).toEqual([]);
    expect(matcher.scanLineDetailed("if settings.enabled?('telemetry')").unknownKeys).toEqual([]);
    expect(matcher.scanLineDetailed("if (config.isEnabled('dark-mod')) {").unknownKeys).toEqual([
      { key: "dark-mod", suggestion: "dark-mode" },
    ]);
  });

  it("suggests a key that differs only in case or _/- separators", () => {
    expect(matcher.scanLineDetailed("posthog.isFeatureEnabled('New_Checkout')").unknownKeys).toEqual([
      { key: "New_Checkout", suggestion: "new-checkout" },
    ]);
  });

  it("in JVM files reports the second literal of isFeatureEnabled(distinctId, key) as the key", () => {
    const line = 'if (postHog.isFeatureEnabled("user-1", "telemetry-v9")) {';
    expect(matcher.scanLineDetailed(line, "srv/Flags.java").unknownKeys).toEqual([{ key: "telemetry-v9", suggestion: null }]);
    expect(matcher.scanLineDetailed(line, "web/flags.ts").unknownKeys).toEqual([{ key: "user-1", suggestion: null }]);
  });

  it("ignores dynamic keys: variables, template literals, concatenation, interpolation", () => {
    for (const line of [
      "posthog.isFeatureEnabled(flagKey)",
      "posthog.isFeatureEnabled(`${prefix}-checkout`)",
      'posthog.isFeatureEnabled("checkout-" + variant)',
      'posthog.get_feature_flag(f"{team}-pricing", distinct_id)',
      'PostHog.getFeatureFlag("$name-flag")',
    ]) {
      expect(matcher.scanLineDetailed(line), line).toEqual({ references: [], unknownKeys: [] });
    }
  });

  it("does not treat unrelated calls as SDK calls", () => {
    for (const line of [
      'it.only("renders the checkout", () => {',
      "describe.only('Checkout', () => {",
      'const check = validator.check("email")',
      "const isFeatureEnabledFlag = true",
      "const o = { isEnabled: true, getFlag : 'x' }",
    ]) {
      expect(matcher.scanLineDetailed(line), line).toEqual({ references: [], unknownKeys: [] });
    }
  });
});
