/**
 * JSON schemas of the admin API (routes/admin.ts): its request limits and response shapes, which
 * also make up its part of /openapi.json. Responses are serialised through these schemas, so a
 * field missing here is never sent.
 */
import { SETTING_BOUNDS, VERSION_PATTERN } from '../../devices/policy-store.js';
import { findingSchema, ID_PATTERN, NO_CONTROL_CHARACTERS, postureSchema } from '../schemas.js';

/** A user or device id in a filter. */
export const idFilter = { type: 'string', pattern: ID_PATTERN } as const;

/** A search text (`q`). */
export const searchText = { type: 'string', maxLength: 200, pattern: NO_CONTROL_CHARACTERS } as const;

import { MAX_TEAMS_PER_USER, TEAM_PATTERN } from '../teams.js';

export const errorResponses = {
  description: 'application/problem+json with a stable code (docs/errors.md)',
} as const;

/**
 * The params schema of a route with one id in its path, typed with that name so the route's
 * `request.params` is `{ [name]: string }`.
 *
 * @example
 * ```ts
 * const params = idParams('userId');
 * ```
 */
export function idParams<const N extends string>(name: N) {
  const properties = { [name]: idFilter } as { readonly [K in N]: typeof idFilter };
  return { type: 'object', required: [name], properties } as const;
}

/** Page size and cursor of every admin list. */
export const pageQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 200, description: 'Page size (default 50).' },
  cursor: {
    type: 'string',
    maxLength: 400,
    description: 'nextCursor of the previous page (opaque).',
  },
} as const;

/**
 * The 200 response of a paged admin list: the page under `key`, and `nextCursor` while more follow.
 *
 * @example
 * const response = { 200: pageResponse('users', userSchema), '4xx': errorResponses };
 */
export function pageResponse<const K extends string, const I extends object>(key: K, items: I) {
  return {
    type: 'object',
    required: [key],
    properties: { [key]: { type: 'array', items }, nextCursor: { type: 'string' } },
  } as {
    readonly type: 'object';
    readonly required: readonly [K];
    readonly properties: { readonly [P in K]: { readonly type: 'array'; readonly items: I } } & {
      readonly nextCursor: { readonly type: 'string' };
    };
  };
}

const iso = { type: 'string', format: 'date-time' } as const;

export const teamsArraySchema = {
  type: 'array',
  maxItems: MAX_TEAMS_PER_USER,
  uniqueItems: true,
  items: { type: 'string', pattern: TEAM_PATTERN },
} as const;

export const userSchema = {
  type: 'object',
  required: ['id', 'username', 'role', 'disabled', 'mustChangePassword', 'teams', 'createdAt', 'deviceCount'],
  properties: {
    id: { type: 'string' },
    username: { type: 'string', description: 'As typed at creation: user-supplied text, render it as text.' },
    role: { type: 'string', enum: ['admin', 'user'] },
    disabled: { type: 'boolean' },
    mustChangePassword: { type: 'boolean' },
    teams: { type: 'array', items: { type: 'string' } },
    createdAt: iso,
    deviceCount: { type: 'integer' },
    lastSeenAt: { ...iso, description: 'Last contact of any of its devices; absent when it has none.' },
  },
} as const;

export const deviceSchema = {
  type: 'object',
  required: [
    'id',
    'userId',
    'username',
    'platform',
    'osVersion',
    'appVersion',
    'posture',
    'status',
    'enrolledAt',
    'lastSeenAt',
    'lastDecision',
  ],
  description:
    'Name, platform, versions and posture are what the device reported: attacker-controlled text, render it as text.',
  properties: {
    id: { type: 'string' },
    userId: { type: 'string' },
    username: { type: 'string' },
    name: { type: 'string' },
    platform: { type: 'string' },
    osVersion: { type: 'string' },
    appVersion: { type: 'string' },
    posture: postureSchema,
    status: { type: 'string', enum: ['active', 'blocked', 'revoked', 'wipe_confirmed'] },
    revokedAt: iso,
    revokedReason: { type: 'string', enum: ['lost', 'stolen', 'left_organisation', 'admin'] },
    wipeConfirmedAt: iso,
    enrolledAt: iso,
    lastSeenAt: iso,
    lastDecision: {
      type: 'object',
      required: ['decision', 'findings'],
      properties: {
        decision: { type: 'string', enum: ['allow', 'warn', 'refuse'] },
        findings: { type: 'array', items: findingSchema },
      },
    },
  },
} as const;

export const eventSchema = {
  type: 'object',
  required: ['seq', 'at', 'type', 'details', 'hash'],
  properties: {
    seq: { type: 'integer' },
    at: iso,
    type: { type: 'string' },
    userId: { type: 'string', description: 'The user who acted (or tried to).' },
    deviceId: { type: 'string', description: 'The device the event came from.' },
    subject: {
      type: 'string',
      description: 'What the event is about: user id, device id, username tried, key id.',
    },
    ip: { type: 'string' },
    details: {
      type: 'object',
      additionalProperties: true,
      description: 'Event details; strings in it may come from devices or users: render them as text.',
    },
    hash: { type: 'string', description: 'Hash of this entry in the chain (hex SHA-256).' },
  },
} as const;

const action = { type: 'string', enum: ['allow', 'warn', 'refuse'] } as const;

const boundedInteger = (bounds: { minimum: number; maximum: number }) =>
  ({ type: 'integer', minimum: bounds.minimum, maximum: bounds.maximum }) as const;

/** The editable device policy: the PUT body and the GET answer. */
export const adminPolicySchema = {
  type: 'object',
  required: ['rooted', 'emulator', 'screenLockMissing', 'appVersionTooOld', 'settings'],
  additionalProperties: false,
  properties: {
    rooted: action,
    emulator: action,
    screenLockMissing: action,
    minAppVersion: {
      type: ['string', 'null'],
      maxLength: 40,
      pattern: VERSION_PATTERN,
      description: 'Lowest accepted app version, dotted numbers (1 to 4 parts); null or absent: none.',
    },
    appVersionTooOld: action,
    settings: {
      type: 'object',
      required: ['lockTimeoutSeconds', 'failedUnlockLimit', 'offlineGraceSeconds'],
      additionalProperties: false,
      properties: {
        lockTimeoutSeconds: boundedInteger(SETTING_BOUNDS.lockTimeoutSeconds),
        failedUnlockLimit: boundedInteger(SETTING_BOUNDS.failedUnlockLimit),
        offlineGraceSeconds: boundedInteger(SETTING_BOUNDS.offlineGraceSeconds),
      },
    },
  },
} as const;

export const policyResponseSchema = {
  type: 'object',
  required: ['policy'],
  properties: {
    policy: adminPolicySchema,
    updatedAt: iso,
    updatedBy: { type: 'string', description: 'User id of the admin who saved it.' },
  },
} as const;

export const keySchema = {
  type: 'object',
  required: ['kid', 'alg', 'status', 'createdAt', 'published'],
  properties: {
    kid: { type: 'string' },
    alg: { type: 'string' },
    status: { type: 'string', enum: ['active', 'retired'] },
    createdAt: iso,
    retiredAt: iso,
    published: { type: 'boolean', description: 'Still in /.well-known/jwks.json (verifies tokens).' },
  },
} as const;
