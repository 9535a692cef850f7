/**
 * The state of one validation: the issues found so far, the cap, and paths built only when an
 * issue exists. A checker reports an issue without knowing where it is; each object or array that
 * sees a child fail adds its key or index to the issues that child added, so a valid record never
 * builds a path at all. The cap does not unwind with an exception: `stopped` is set, and every
 * loop returns as soon as a child fails while it is set (the paths are completed on the way out).
 */
import { type Issue, ReasonCode } from '../issues.js';
import { toPointer } from './pointer.js';

/** Marks a value that failed; never escapes the validator. */
export const INVALID: unique symbol = Symbol('invalid');

/** An issue whose path is still being collected, innermost segment first. */
interface PendingIssue {
  readonly code: ReasonCode;
  readonly message: string;
  readonly limit: number | undefined;
  readonly reversed: (string | number)[];
}

/** One call of `validate`. Never shared between calls, so a getter that validates cannot mix runs. */
export class Run {
  readonly device: boolean;
  readonly maxIssues: number;
  readonly issues: PendingIssue[] = [];
  /** Set when one more issue than `maxIssues` was found; nothing is read or reported after it. */
  stopped = false;

  constructor(device: boolean, maxIssues: number) {
    this.device = device;
    this.maxIssues = maxIssues;
  }
}

/** Records an issue at the current value (the path is added by the callers). */
export function report(run: Run, code: ReasonCode, message: string, limit?: number): typeof INVALID {
  if (run.issues.length >= run.maxIssues) run.stopped = true;
  else run.issues.push({ code, message, limit, reversed: [] });
  return INVALID;
}

/** Records an issue at `segment` of the current object (a missing, refused or unknown key). */
export function reportAt(run: Run, segment: string, code: ReasonCode, message: string): void {
  if (run.issues.length >= run.maxIssues) run.stopped = true;
  else run.issues.push({ code, message, limit: undefined, reversed: [segment] });
}

/** Adds `segment` to the paths of the issues recorded since `from`: they were all found inside it. */
export function within(run: Run, from: number, segment: string | number): void {
  const issues = run.issues;
  for (let i = from; i < issues.length; i++) (issues[i] as PendingIssue).reversed.push(segment);
}

/** The issues in their public shape, with `too_many_issues` last when the cap was reached. */
export function finish(run: Run): Issue[] {
  const out: Issue[] = [];
  for (const pending of run.issues) {
    const { code, message, limit } = pending;
    const path = pending.reversed.reverse();
    const pointer = toPointer(path);
    out.push(
      limit === undefined ? { code, path, pointer, message } : { code, path, pointer, message, limit },
    );
  }
  if (run.stopped) {
    out.push({
      code: ReasonCode.TooManyIssues,
      path: [],
      pointer: '',
      message: `validation stopped after ${run.maxIssues} issues`,
      limit: run.maxIssues,
    });
  }
  return out;
}
