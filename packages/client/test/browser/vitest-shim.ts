/**
 * Just enough of vitest's API for a behaviour suite bundled into a page: `describe`, `it`,
 * `describe.each` and `it.each` record the cases, and `expect` is vitest's own (chai with
 * @vitest/expect's matchers, set up as vitest does). The page runs the recorded cases one by one
 * and reports each result to the test in Node (store-in-chromium.test.ts).
 */

import {
  ASYMMETRIC_MATCHERS_OBJECT,
  customMatchers,
  GLOBAL_EXPECT,
  getState,
  JestAsymmetricMatchers,
  JestChaiExpect,
  JestExtend,
  setState,
} from '@vitest/expect';
import * as chai from 'chai';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

type ExpectFn = ((value: unknown, message?: string) => Chai.Assertion) & Record<string, unknown>;

const expectFn = ((value: unknown, message?: string) => {
  const { assertionCalls } = getState(expectFn as never) as { assertionCalls: number };
  setState({ assertionCalls: assertionCalls + 1 }, expectFn as never);
  return chai.expect(value, message);
}) as ExpectFn;
Object.assign(expectFn, chai.expect);
Object.assign(expectFn, (globalThis as Record<symbol, unknown>)[ASYMMETRIC_MATCHERS_OBJECT] as object);
setState(
  { assertionCalls: 0, isExpectingAssertions: false, expectedAssertionsNumber: null },
  expectFn as never,
);
expectFn.getState = () => getState(expectFn as never);
expectFn.setState = (state: object) => setState(state, expectFn as never);
expectFn.extend = (matchers: object) =>
  (chai.expect as unknown as { extend(e: unknown, m: object): void }).extend(expectFn, matchers);
(expectFn.extend as (m: object) => void)(customMatchers);
Object.defineProperty(globalThis, GLOBAL_EXPECT, { value: expectFn, writable: true, configurable: true });

/** vitest's `expect`. */
export const expect = expectFn as unknown as typeof import('vitest').expect;

/** A recorded test case. */
export interface Case {
  readonly name: string;
  readonly run: () => unknown;
}

/** Every case the suite declared, with its full name. */
export const cases: Case[] = [];
const prefix: string[] = [];

function format(title: string, item: unknown): string {
  return title.replace(/\$(\w+)/g, (_, key: string) => String((item as Record<string, unknown>)[key]));
}

type Body<T> = (item: T) => unknown;

function describeImpl(name: string, body: () => void): void {
  prefix.push(name);
  try {
    body();
  } finally {
    prefix.pop();
  }
}

function itImpl(name: string, run: () => unknown): void {
  cases.push({ name: [...prefix, name].join(' > '), run });
}

/** vitest's `describe`, with `each`. */
export const describe = Object.assign(describeImpl, {
  each:
    <T>(items: readonly T[]) =>
    (title: string, body: Body<T>) => {
      for (const item of items) describeImpl(format(title, item), () => body(item));
    },
});

/** vitest's `it`, with `each`. */
export const it = Object.assign(itImpl, {
  each:
    <T>(items: readonly T[]) =>
    (title: string, body: Body<T>) => {
      for (const item of items) itImpl(format(title, item), () => body(item));
    },
});

/** `test` is `it`. */
export const test = it;
