/**
 * Shared by build-wasm.mjs and the test that checks its output: the assembly of the prefilter's
 * WebAssembly text, and the TypeScript module that carries the bytes.
 */
import wabtInit from 'wabt';

/** The binary module of a WebAssembly text (no name section, so the bytes depend on the code only). */
export async function assembleTriggerScan(wat) {
  const wabt = await wabtInit();
  const module = wabt.parseWat('trigger-scan.wat', wat);
  try {
    module.validate();
    return Buffer.from(module.toBinary({ write_debug_names: false }).buffer);
  } finally {
    module.destroy();
  }
}

/** The text of trigger-scan-wasm.ts for these bytes. */
export function triggerScanModuleText(bytes) {
  const base64 = bytes.toString('base64');
  const lines = base64.match(/.{1,96}/g) ?? [];
  return `/**
 * The prefilter's WebAssembly module (trigger-scan.wat), assembled by \`npm run build:wasm\`.
 * Generated: edit trigger-scan.wat, then rebuild; a test checks that these are its bytes.
 */
export const TRIGGER_SCAN_WASM =
${lines.map((l, i) => `  '${l}'${i === lines.length - 1 ? ';' : ' +'}`).join('\n')}
`;
}
