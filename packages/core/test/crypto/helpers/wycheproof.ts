/**
 * Loads Wycheproof vector files from the folder named by BULWARK_WYCHEPROOF_DIR, by default
 * `../shared/wycheproof` beside the repository root. A missing or unreadable file throws, so the
 * suite fails instead of passing without having run a vector.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../..');

export const wycheproofDir =
  process.env.BULWARK_WYCHEPROOF_DIR ?? join(repoRoot, '..', 'shared', 'wycheproof');

export interface WycheproofFile<G> {
  algorithm: string;
  numberOfTests: number;
  testGroups: G[];
}

export function loadWycheproof<G>(name: string): WycheproofFile<G> {
  const path = join(wycheproofDir, name);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new Error(
      `Wycheproof file ${name} not found in ${wycheproofDir}; set BULWARK_WYCHEPROOF_DIR to the folder that holds it`,
      { cause },
    );
  }
  return JSON.parse(text) as WycheproofFile<G>;
}

export interface WycheproofTest {
  tcId: number;
  comment: string;
  flags: string[];
  result: 'valid' | 'invalid' | 'acceptable';
}
