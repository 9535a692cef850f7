/**
 * Password rules per OWASP ASVS 4 §2.1 and NIST SP 800-63B: a minimum length (8 by default),
 * long passwords accepted (1024 by default) and never truncated, any Unicode character
 * (normalised to NFKC so the same password typed on two keyboards matches), no composition
 * rules, common passwords and the username itself refused.
 */
import type { ProblemIssue } from '../../http/problem.js';
import { isCommonPassword } from './common.js';

/** Normalises a password before hashing and checking (NFKC), so equal-looking input matches. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/** Length limits applied by {@link checkPasswordRules}. */
export interface PasswordRuleOptions {
  readonly minLength: number;
  readonly maxLength: number;
}

/**
 * Returns the reasons `password` may not be used (empty when it may).
 *
 * @example
 * ```ts
 * checkPasswordRules('correct horse battery staple', 'alice', { minLength: 8, maxLength: 1024 }); // []
 * checkPasswordRules('password', 'alice', { minLength: 8, maxLength: 1024 })[0]?.code; // 'password_common'
 * ```
 */
export function checkPasswordRules(
  password: string,
  username: string,
  options: PasswordRuleOptions,
): ProblemIssue[] {
  const normalized = normalizePassword(password);
  const length = [...normalized].length;
  const issues: ProblemIssue[] = [];
  if (length < options.minLength) {
    issues.push({
      path: '/password',
      code: 'password_too_short',
      message: `Use at least ${options.minLength} characters.`,
    });
  }
  if (length > options.maxLength) {
    issues.push({
      path: '/password',
      code: 'password_too_long',
      message: `Use at most ${options.maxLength} characters.`,
    });
  }
  if (isCommonPassword(normalized)) {
    issues.push({
      path: '/password',
      code: 'password_common',
      message: 'This password is one of the most common ones; choose another.',
    });
  }
  if (normalized.toLowerCase() === username.normalize('NFKC').toLowerCase()) {
    issues.push({ path: '/password', code: 'password_is_username', message: 'Do not use the username.' });
  }
  return issues;
}
