/**
 * The analyser table: each configuration file goes to the analysers of its kind, and a rule id
 * that is not in the catalogue does not compile.
 */
import { describe, expect, it } from 'vitest';
import type { RawFinding } from '../../src/audit/lib/finding.js';
import { ALL_RULES, type RuleId } from '../../src/audit/rules/catalog.js';
import { ANALYSERS, analysersFor } from '../../src/audit/rules/registry.js';

describe('the analyser table', () => {
  it('takes configuration files by their path, small scripts by path and size, and leaves other files to the text scan', () => {
    const count = (path: string) => analysersFor(path, path.slice(path.lastIndexOf('/') + 1)).length;
    expect(count('app/src/main/AndroidManifest.xml')).toBe(1);
    expect(count('ios/App/App/Info.plist')).toBe(1);
    expect(count('capacitor.config.json')).toBe(1);
    expect(count('release.jks')).toBe(1);
    // Cordova's config.xml in an APK is both a res/xml file and a config.xml.
    expect(count('res/xml/config.xml')).toBe(2);
    // A script of the app is read for console calls of secrets; a bundle (over 256 KB), a minified
    // copy or a dependency is left to the text scan alone.
    expect(count('www/main.js')).toBe(1);
    expect(analysersFor('www/main.js', 'main.js', 300 * 1024)).toHaveLength(0);
    expect(count('www/vendor.min.js')).toBe(0);
    expect(count('node_modules/a/index.js')).toBe(0);
    expect(count('res/raw/notes.txt')).toBe(0);
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
