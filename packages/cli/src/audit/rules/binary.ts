/**
 * Hardening of native code, read from the headers of the binaries themselves: Android's ELF
 * libraries (`lib/<abi>/*.so`) and iOS Mach-O executables, frameworks and dylibs. What MobSF's
 * binary analysis reports: an executable stack (no NX), code that is not position-independent
 * (no ASLR for it), no RELRO (writable relocations after load), no stack canary, and on iOS no
 * ARC. Only headers, program headers and the presence of imported symbol names are read:
 * nothing is disassembled, so "no canary" means the binary imports no `__stack_chk_fail`, which
 * is also true of a library with no function that needs one (low severity for that reason).
 */
import type { RawFinding } from '../lib/finding.js';
import type { FileAnalyser } from './analyser.js';

const PT_DYNAMIC = 2;
const PT_GNU_STACK = 0x6474e551;
const PT_GNU_RELRO = 0x6474e552;
const PF_X = 1;
const ET_EXEC = 2;

/** What the ELF headers say, or undefined when the bytes are not a well-formed ELF file. */
export interface ElfFacts {
  executable: boolean;
  /** PT_GNU_STACK present and executable. */
  execStack: boolean;
  relro: boolean;
  dynamic: boolean;
}

/**
 * Reads an ELF file's type and program headers.
 *
 * @example
 * ```ts
 * const facts = elfFacts(await readFile('lib/arm64-v8a/libnative.so'));
 * ```
 */
export function elfFacts(bytes: Buffer): ElfFacts | undefined {
  if (bytes.length < 52 || bytes.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const wide = bytes[4] === 2;
  const little = bytes[5] !== 2;
  const u16 = (at: number) => (little ? bytes.readUInt16LE(at) : bytes.readUInt16BE(at));
  const u32 = (at: number) => (little ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
  const u64 = (at: number) => Number(little ? bytes.readBigUInt64LE(at) : bytes.readBigUInt64BE(at));
  if (wide && bytes.length < 64) return undefined;
  const type = u16(16);
  const phoff = wide ? u64(32) : u32(28);
  const phentsize = u16(wide ? 54 : 42);
  const phnum = u16(wide ? 56 : 44);
  const facts: ElfFacts = { executable: type === ET_EXEC, execStack: false, relro: false, dynamic: false };
  if (phentsize < (wide ? 56 : 32) || phnum > 4096 || phoff + phnum * phentsize > bytes.length)
    return undefined;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    const pType = u32(at);
    const flags = u32(wide ? at + 4 : at + 24);
    if (pType === PT_GNU_STACK) facts.execStack = (flags & PF_X) !== 0;
    else if (pType === PT_GNU_RELRO) facts.relro = true;
    else if (pType === PT_DYNAMIC) facts.dynamic = true;
  }
  return facts;
}

function hasStackCanary(bytes: Buffer, prefix: string): boolean {
  return bytes.includes(`${prefix}__stack_chk_fail`) || bytes.includes(`${prefix}__stack_chk_guard`);
}

function checkElf(bytes: Buffer, file: string): RawFinding[] {
  const facts = elfFacts(bytes);
  if (facts === undefined) return [];
  const out: RawFinding[] = [];
  if (facts.execStack) {
    out.push({
      ruleId: 'native-nx-disabled',
      file,
      message: 'the stack is executable (PT_GNU_STACK has PF_X): injected code on the stack runs',
      key: 'nx',
    });
  }
  if (facts.executable) {
    out.push({
      ruleId: 'native-not-pie',
      file,
      message: 'not position-independent (ET_EXEC): it loads at a fixed address, without ASLR',
      key: 'pie',
    });
  }
  if (facts.dynamic && !facts.relro) {
    out.push({
      ruleId: 'native-no-relro',
      file,
      message: 'no RELRO segment: relocations (the GOT) stay writable after loading',
      key: 'relro',
    });
  }
  if (facts.dynamic && !hasStackCanary(bytes, '')) {
    out.push({
      ruleId: 'native-no-stack-canary',
      file,
      message:
        'imports no __stack_chk_fail: built without stack protection (-fstack-protector-strong), or with no function that needs it',
      key: 'canary',
    });
  }
  return out;
}

const MH_EXECUTE = 2;
const MH_PIE = 0x200000;
const MH_ALLOW_STACK_EXECUTION = 0x20000;

/** The offset of the first (thin) Mach-O image: 0, or the first slice of a fat binary. */
function machOffset(bytes: Buffer): number | undefined {
  if (bytes.length < 32) return undefined;
  const magic = bytes.readUInt32BE(0);
  if (magic === 0xcafebabe || magic === 0xcafebabf) {
    // A fat binary; a Java class file has the same magic, followed by its version (≥ 45).
    const count = bytes.readUInt32BE(4);
    if (count === 0 || count > 16 || bytes.length < 28) return undefined;
    return bytes.readUInt32BE(16);
  }
  return isThinMachO(bytes, 0) ? 0 : undefined;
}

function isThinMachO(bytes: Buffer, at: number): boolean {
  if (at + 28 > bytes.length) return false;
  const magic = bytes.readUInt32BE(at);
  return magic === 0xcffaedfe || magic === 0xcefaedfe || magic === 0xfeedfacf || magic === 0xfeedface;
}

function checkMachO(bytes: Buffer, file: string): RawFinding[] {
  const at = machOffset(bytes);
  if (at === undefined || !isThinMachO(bytes, at)) return [];
  const little = bytes[at] === 0xce || bytes[at] === 0xcf;
  const u32 = (o: number) => (little ? bytes.readUInt32LE(at + o) : bytes.readUInt32BE(at + o));
  const filetype = u32(12);
  const flags = u32(24);
  const out: RawFinding[] = [];
  if (filetype === MH_EXECUTE && (flags & MH_PIE) === 0) {
    out.push({
      ruleId: 'native-not-pie',
      file,
      message: 'Mach-O executable without MH_PIE: it loads at a fixed address, without ASLR',
      key: 'pie',
    });
  }
  if ((flags & MH_ALLOW_STACK_EXECUTION) !== 0) {
    out.push({
      ruleId: 'native-nx-disabled',
      file,
      message: 'MH_ALLOW_STACK_EXECUTION is set: the stack is executable',
      key: 'nx',
    });
  }
  if (!hasStackCanary(bytes, '_')) {
    out.push({
      ruleId: 'native-no-stack-canary',
      file,
      message:
        'imports no ___stack_chk_fail: built without stack protection, or with no function that needs it',
      key: 'canary',
    });
  }
  // Objective-C without ARC calls retain/release itself; ARC code imports objc_release. Swift
  // is reference-counted by the compiler whatever the setting.
  if (
    bytes.includes('_objc_msgSend') &&
    !bytes.includes('_objc_release') &&
    !bytes.includes('_swift_release')
  ) {
    out.push({
      ruleId: 'ios-binary-no-arc',
      file,
      message:
        'Objective-C code without ARC (no _objc_release imported): manual memory management invites use-after-free',
      key: 'arc',
    });
  }
  return out;
}

const SHARED_OBJECT = /\.so(?:\.\d+)*$/;
/** An app's or framework's executable (`App.app/App`, `Kit.framework/Kit`) and dylibs. */
const MACH_O = /(?:^|\/)([^/]+)\.(?:app|framework|appex)\/\1$|\.dylib$/;

/** The native binary analysers. */
export const BINARY_ANALYSERS: readonly FileAnalyser[] = [
  {
    matches: (_path, name) => SHARED_OBJECT.test(name),
    analyse(bytes, context) {
      context.report(...checkElf(bytes, context.path));
      return undefined;
    },
  },
  {
    matches: (path) => MACH_O.test(path),
    analyse(bytes, context) {
      context.report(...checkMachO(bytes, context.path));
      return undefined;
    },
  },
];
