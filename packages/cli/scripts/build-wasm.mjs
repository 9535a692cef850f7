#!/usr/bin/env node
/**
 * Assembles src/audit/lib/trigger-scan.wat with wabt and writes its bytes, base64, into
 * src/audit/lib/trigger-scan-wasm.ts (`npm run build:wasm`). With `--check`, exits 1 when the
 * committed module differs from what the assembly gives (the test suite runs the same check).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assembleTriggerScan, triggerScanModuleText } from './wasm-module.mjs';

const lib = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'audit', 'lib');
const target = join(lib, 'trigger-scan-wasm.ts');
const text = triggerScanModuleText(
  await assembleTriggerScan(readFileSync(join(lib, 'trigger-scan.wat'), 'utf8')),
);
if (process.argv.includes('--check')) {
  if (readFileSync(target, 'utf8') !== text) {
    process.stderr.write(
      'trigger-scan-wasm.ts is not the assembly of trigger-scan.wat: run npm run build:wasm\n',
    );
    process.exitCode = 1;
  }
} else {
  writeFileSync(target, text);
}
