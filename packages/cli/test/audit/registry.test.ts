/**
 * The analyser table: each configuration file goes to the analysers of its kind, and a rule id
 * that is not in the catalogue does not compile.
 */
import { describe, expect, it } from 'vitest';
import type { RawFinding } from '../../src/audit/lib/finding.js';
import { ALL_RULES, type RuleId } from '../../src/audit/rules/catalog.js';
import { ANALYSERS, analysersFor } from '../../src/audit/rules/registry.js';

describe('the analyser table', () => {
  it('takes configuration files by their path and leaves ordinary code to the text scan', () => {
    const count = (path: string) => analysersFor(path, path.slice(path.lastIndexOf('/') + 1)).length;
    expect(count('app/src/main/AndroidManifest.xml')).toBe(1);
    expect(count('ios/App/App/Info.plist')).toBe(1);
    expect(count('capacitor.config.json')).toBe(1);
    expect(count('release.jks')).toBe(1);
    // Cordova's config.xml in an APK is both a res/xml file and a config.xml.
    expect(count('res/xml/config.xml')).toBe(2);
    expect(count('www/main.js')).toBe(0);
    expect(ANALYSERS.length).toBeGreaterThan(5);
  });

  it('names only rule ids of the catalogue (checked by the compiler)', () => {
    const ok: RawFinding = { ruleId: 'android-debuggable', file: 'a', message: 'm', key: 'k' };
    // @ts-expect-error: not a rule of the catalogue
    const bad: RawFinding = { ruleId: 'android-debugable', file: 'a', message: 'm', key: 'k' };
    const ids: RuleId[] = ALL_RULES.map((r) => r.id as RuleId);
    expect(ids).toContain(ok.ruleId);
    expect(ids).not.toContain(bad.ruleId);
  });
});
