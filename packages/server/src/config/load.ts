/**
 * Loads `bulwark.config.ts` (or `.js`, `.mjs`, `.mts`) for `bulwark serve --config`. TypeScript is
 * loaded with jiti (the loader ESLint and Nuxt use for their TypeScript configs), because Node 20
 * cannot import `.ts` files; modules under node_modules are imported natively, so the config's
 * collections are the very objects `@bulwark/core/schema` made (`isCollection` holds).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createJiti } from 'jiti';
import type { BulwarkConfig } from './define.js';
import { ConfigError } from './errors.js';

/**
 * Imports the configuration module at `file` and returns its default export (or its `config`
 * export). Throws {@link ConfigError} when the file is missing, fails to load or exports nothing
 * usable; the cause is kept for the operator, never sent to a client.
 *
 * @example
 * ```ts
 * const config = await loadConfig('apps/demo/bulwark.config.ts');
 * const app = await buildApp({ db, data: config });
 * ```
 */
export async function loadConfig(file: string): Promise<BulwarkConfig> {
  const path = resolve(file);
  if (!existsSync(path)) throw new ConfigError(`configuration file not found: ${file}`);
  let mod: Record<string, unknown>;
  try {
    const jiti = createJiti(pathToFileURL(path).href, { moduleCache: false, fsCache: false });
    mod = (await jiti.import(path)) as Record<string, unknown>;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ConfigError(`cannot load ${file}: ${reason}`, { cause });
  }
  // With jiti's interop `default` may be the namespace itself: take the export that has a schema.
  const config = [mod.default, mod.config].find((c) => typeof c === 'object' && c !== null && 'schema' in c);
  if (config === undefined) {
    throw new ConfigError(`${file} must export default { schema, collections } (see docs/rules.md)`);
  }
  return config as BulwarkConfig;
}
