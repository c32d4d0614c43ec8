/**
 * Word-like keys (`integrations`, `billing`: letters only) count only in key positions (issue 8, "Prose
 * matches"). The snippets are written the way real code bases write them, in TS/JS, Python, Go and Ruby.
 */
import { describe, expect, it } from "vitest";
import {
  changedLinesFromDiff,
  createFlagMatcher,
  isFlagName,
  isWordLikeKey,
  matchDiff,
  scanText,
} from "../../src/matching/index.js";

const matcher = createFlagMatcher(["integrations", "billing", "newCheckout", "new-checkout", "pricing_v2"]);
const keysOn = (line: string, block?: string) =>
  matcher.scanLine(line, "x", block === undefined ? undefined : { block }).map((r) => `${r.key}:${r.kind}`);

describe("isWordLikeKey", () => {
  it("is true for keys of letters only, false with a separator or a digit", () => {
    expect(["billing", "integrations", "newCheckout", "SSO"].map(isWordLikeKey)).toEqual([true, true, true, true]);
    expect(["new-checkout", "pricing_v2", "v2", "beta1"].map(isWordLikeKey)).toEqual([false, false, false, false]);
  });

  it("the matcher counts its word-like keys", () => {
    expect(matcher.wordLikeKeyCount).toBe(3); // integrations, billing, newCheckout
    expect(createFlagMatcher(["new-checkout", "pricing_v2"]).wordLikeKeyCount).toBe(0);
  });
});

describe("isFlagName (slot and container names that hold flag keys)", () => {
  it("decides by the last word", () => {
    const yes = ["FEATURE_FLAGS", "featureFlags", "flags", "BILLING_FLAG", "FeatureFlag", "$feature_flag", "flagKey", "FEATURE_KEY", "experiment_key", "toggles"];
    const no = ["flagsResponse", "flagsResponseOverrides", "featureFlagPayloads", "features", "toolbarVersion", "key", "name", "FlagRow"];
    expect(yes.filter((n) => !isFlagName(n))).toEqual([]);
    expect(no.filter((n) => isFlagName(n))).toEqual([]);
  });

  it("a mocked /flags response or a payload map is not a flag container", () => {
    expect(keysOn("    surveys: true,", "    const flagsResponse: FlagsResponse = {")).toEqual([]);
    expect(keysOn("  billing: { plan: 'team' },", "const featureFlagPayloads = {")).toEqual([]);
  });
});

describe("word-like keys outside key positions are not references", () => {
  it.each([
    ["TS comment", "// integrations are loaded lazily, see billing/README"],
    ["JSX UI copy", "<h2>Integrations</h2><p>Connect billing and integrations in one place.</p>"],
    ["JSX attribute", '<Tab name="integrations" label="Integrations" />'],
    ["React list key", '<li key="billing">Billing</li>'],
    ["i18n call", "const title = t('integrations')"],
    ["test name", "it('billing works for teams', async () => {"],
    ["describe block", "describe('integrations', () => {"],
    ["hostname", "const api = 'billing.team.example.com'"],
    ["URL host", 'fetch("https://billing.example.com/v1/invoices")'],
    ["route tabs", "const tabs = ['billing', 'integrations', 'members']"],
    ["switch case", "case 'billing':"],
    ["variant comparison", "if (variant === 'billing') {"],
    ["analytics event", "posthog.capture('opened', 'integrations')"],
    ["default of a non-flag slot", "const title = props.title || 'billing'"],
    ["object in a non-flag call", "render({ billing: true })"],
    ["bare identifier", "const integrations = await loadIntegrations(team)"],
    ["camelCase variable", "const newCheckout = useNewCheckout()"],
    ["Python docstring", '    """Sync billing and integrations for the team."""'],
    ["Python comment", "    # integrations are synced nightly"],
    ["Python test name", "def test_billing_integrations(self):"],
    ["Python dict of UI labels", 'LABELS = {"billing": "Billing", "integrations": "Integrations"}'],
    ["Go test", 't.Run("billing", func(t *testing.T) {'],
    ["Go log", 'log.Info("integrations", "count", len(items))'],
    ["Go DistinctId slot", 'DistinctId: "billing",'],
    ["Ruby comment", "# billing is computed nightly"],
    ["Ruby route", "resources :integrations, only: [:index, :show]"],
    ["Ruby spec", "RSpec.describe 'billing' do"],
    ["YAML prose", "description: integrations with Slack and billing"],
  ])("%s", (_name, line) => {
    expect(keysOn(line)).toEqual([]);
  });
});

describe("word-like keys in key positions are references", () => {
  it.each([
    ["SDK call (JS)", "if (posthog.isFeatureEnabled('integrations')) {", "integrations:sdk-call"],
    ["React hook", "const on = useFeatureFlagEnabled('billing')", "billing:sdk-call"],
    ["Python SDK", 'if posthog.feature_enabled("billing", user.distinct_id):', "billing:sdk-call"],
    ["Ruby SDK", "posthog.is_feature_enabled('integrations', user.id)", "integrations:sdk-call"],
    ["$feature property", 'props["$feature/integrations"] = variant', "integrations:property"],
    ["$feature_flag property", "posthog.capture('$feature_flag_called', { '$feature_flag': 'billing' })", "billing:string"],
    ["team wrapper call", "if (useFlag('integrations')) {", "integrations:string"],
    ["Ruby wrapper with a symbol", "if feature_enabled?(:billing)", "billing:identifier"],
    ["flag constant", "export const INTEGRATIONS_FLAG = 'integrations'", "integrations:string"],
    ["Python constant", 'BILLING_FEATURE_FLAG = "billing"', "billing:string"],
    ["Go constant", 'const billingFlag = "billing"', "billing:string"],
    ["named slot", "<PaywallGate flag=\"billing\">", "billing:string"],
    ["flag list", "export const ENABLED_FLAGS = ['billing', 'integrations']", "billing:string"],
    ["flags object member", "if (flags.integrations) {", "integrations:identifier"],
    ["flags subscript", "if featureFlags['billing']:", "billing:string"],
    ["default after ||", "  FLAG_KEY: process.env.BILLING_FLAG_KEY || 'billing',", "billing:string"],
    ["default after ??", "const flagKey = params.get('flag') ?? 'billing'", "billing:string"],
    ["object in a flag call", "mockFetch(flagsResponse({ billing: true, integrations: 'test' }))", "billing:identifier"],
  ])("%s", (_name, line, first) => {
    expect(keysOn(line)[0]).toBe(first);
  });

  it("a definition inside a flag container opened on an earlier line (the block)", () => {
    expect(keysOn("  INTEGRATIONS: 'integrations',", "export const FEATURE_FLAGS = {")).toEqual(["integrations:string"]);
    expect(keysOn("    BILLING = 'billing'", "class FeatureFlag(str, Enum):")).toEqual(["billing:string"]);
    expect(keysOn("  Billing = 'billing',", "export enum FeatureFlag {")).toEqual(["billing:string"]);
    expect(keysOn('\t"billing": true,', "var defaultFlags = map[string]bool{")).toEqual(["billing:string"]);
    // a multi-line SDK call: the key on the next line
    expect(keysOn('        "billing",', "    if posthog.feature_enabled(")).toEqual(["billing:string"]);
    expect(keysOn('\t\tKey:        "integrations",', "\tv, err := ph.GetFeatureFlag(posthog.FeatureFlagPayload{")).toEqual([
      "integrations:string",
    ]);
    // other languages: PHP multi-line call, JSX on two lines, C#/Kotlin/Swift constants, Elixir, Ruby
    expect(keysOn("    'billing',", "if (PostHog::isFeatureEnabled(")).toEqual(["billing:string"]);
    expect(keysOn('  flag="billing"', "<PostHogFeature")).toEqual(["billing:string"]);
    expect(keysOn('    public const string Billing = "billing";', "public static class FeatureFlags {")).toEqual(["billing:string"]);
    expect(keysOn('    const val BILLING = "billing"', "object FeatureFlags {")).toEqual(["billing:string"]);
    expect(keysOn('    case billing = "billing"', "enum FeatureFlag: String {")).toEqual(["billing:string"]);
    expect(keysOn('  @billing_flag "billing"')).toEqual(["billing:string"]);
    expect(keysOn("  BILLING = 'billing'.freeze", "module FeatureFlags")).toEqual(["billing:string"]);
    expect(keysOn('  @moduledoc "billing"')).toEqual([]);
    // but not inside an unrelated container
    expect(keysOn("  { label: 'billing', href: '/settings/billing' },", "const SETTINGS_TABS = [")).toEqual([]);
    expect(keysOn("  return <p>billing</p>", "export function FeatureFlagsPage() {")).toEqual([]);
  });
});

describe("distinctive keys keep matching anywhere", () => {
  it("in comments, strings and bare words, as before", () => {
    expect(keysOn("// TODO remove new-checkout after the launch")).toEqual(["new-checkout:identifier"]);
    expect(keysOn("const tabs = ['pricing_v2']")).toEqual(["pricing_v2:string"]);
    expect(keysOn("it('new-checkout', () => {")).toEqual(["new-checkout:string"]);
  });
});

/** A realistic PR that touches an integrations settings page: every `integrations` hit is prose or UI. */
const SETTINGS_PR = `diff --git a/frontend/src/scenes/settings/Integrations.tsx b/frontend/src/scenes/settings/Integrations.tsx
index 1a2b3c4..5d6e7f8 100644
--- a/frontend/src/scenes/settings/Integrations.tsx
+++ b/frontend/src/scenes/settings/Integrations.tsx
@@ -12,9 +12,9 @@ export function IntegrationsSettings(): JSX.Element {
     const { integrations, loading } = useValues(integrationsLogic)
-    // integrations are loaded lazily
+    // integrations load on first open
     return (
         <div>
-            <h2>Integrations</h2>
+            <h2 className="text-lg">Integrations</h2>
             <LemonTabs tabs={[{ key: 'integrations', label: 'Integrations' }]} />
-            <p>Connect billing to see invoices at billing.team.example.com</p>
+            <p>Connect billing to see invoices.</p>
diff --git a/frontend/src/scenes/settings/integrations.test.ts b/frontend/src/scenes/settings/integrations.test.ts
index 2b3c4d5..6e7f8a9 100644
--- a/frontend/src/scenes/settings/integrations.test.ts
+++ b/frontend/src/scenes/settings/integrations.test.ts
@@ -1,5 +1,5 @@
-describe('integrations', () => {
+describe('integrations settings', () => {
     it('lists billing', async () => {
diff --git a/posthog/api/integration.py b/posthog/api/integration.py
index 3c4d5e6..7f8a9b0 100644
--- a/posthog/api/integration.py
+++ b/posthog/api/integration.py
@@ -40,4 +40,4 @@ class IntegrationViewSet(viewsets.ModelViewSet):
     def list(self, request):
-        # integrations for the team
+        # all integrations of the team
         return Response({"integrations": self.get_queryset()})
`;

/** The same repository's flag definitions and call sites. */
const FLAG_PR = `diff --git a/frontend/src/lib/constants.tsx b/frontend/src/lib/constants.tsx
index 4d5e6f7..8a9b0c1 100644
--- a/frontend/src/lib/constants.tsx
+++ b/frontend/src/lib/constants.tsx
@@ -150,6 +150,5 @@ export const FEATURE_FLAGS = {
     NEW_CHECKOUT: 'new-checkout',
-    INTEGRATIONS: 'integrations',
     BILLING: 'billing',
 }
diff --git a/frontend/src/scenes/settings/Integrations.tsx b/frontend/src/scenes/settings/Integrations.tsx
index 1a2b3c4..5d6e7f8 100644
--- a/frontend/src/scenes/settings/Integrations.tsx
+++ b/frontend/src/scenes/settings/Integrations.tsx
@@ -3,5 +3,3 @@ import { FEATURE_FLAGS } from 'lib/constants'
 export function IntegrationsSettings(): JSX.Element {
-    const enabled = useFeatureFlagEnabled('integrations')
-    if (!enabled) return null
     return <Integrations />
diff --git a/posthog/tasks/billing.py b/posthog/tasks/billing.py
index 5e6f7a8..9b0c1d2 100644
--- a/posthog/tasks/billing.py
+++ b/posthog/tasks/billing.py
@@ -8,3 +8,6 @@ def sync_usage(team):
     usage = compute_usage(team)
+    if posthoganalytics.feature_enabled(
+        "billing",
+        str(team.uuid),
+    ):
+        send_usage(usage)
`;

describe("matchDiff with word-like keys", () => {
  it("finds no reference in a PR that only touches integrations prose, UI and tests (no false 'Removed references')", () => {
    const result = matchDiff(changedLinesFromDiff(SETTINGS_PR), matcher);
    expect(result.references).toEqual([]);
    expect(result.flags).toEqual([]);
  });

  it("finds definitions (via the hunk section), SDK calls and multi-line calls, with sides and lines", () => {
    const result = matchDiff(changedLinesFromDiff(FLAG_PR), matcher);
    expect(result.references.map((r) => [r.file, r.line, r.side, r.flagKey, r.kind])).toEqual([
      ["frontend/src/lib/constants.tsx", 151, "removed", "integrations", "string"],
      ["frontend/src/scenes/settings/Integrations.tsx", 4, "removed", "integrations", "sdk-call"],
      ["posthog/tasks/billing.py", 10, "added", "billing", "sdk-call"], // the multi-line call is followed to its key (issue 10),
    ]);
    expect(result.flags).toEqual([
      { flagKey: "billing", status: "added-or-modified", added: 1, removed: 0 },
      { flagKey: "integrations", status: "removed", added: 0, removed: 2 },
    ]);
  });
});

describe("scanText with word-like keys", () => {
  it("uses the enclosing block of a whole file", () => {
    const text = [
      "# Billing settings: billing runs nightly",
      "class FeatureFlag(str, Enum):",
      '    BILLING = "billing"',
      "",
      "def billing_page(request):",
      '    return render(request, "billing.html", {"title": "billing"})',
      "",
      "FLAGS = {",
      '    "integrations": True,',
      "}",
    ].join("\n");
    expect(scanText(text, "app/flags.py", matcher).map((r) => [r.line, r.flagKey])).toEqual([
      [3, "billing"],
      [9, "integrations"],
    ]);
  });
});
