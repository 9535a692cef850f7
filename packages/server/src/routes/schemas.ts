/** JSON schemas shared by the identity routes (they also generate /openapi.json). */
import { NO_CONTROL_CHARACTERS } from '../lib/text.js';

export const postureSchema = {
  type: 'object',
  required: ['rooted', 'screenLock', 'emulator'],
  additionalProperties: false,
  properties: {
    rooted: {
      type: 'boolean',
      description: 'Rooted (Android) or jailbroken (iOS), as the device reports it.',
    },
    screenLock: { type: 'boolean', description: 'A screen lock (PIN, pattern, biometrics) is set.' },
    emulator: { type: 'boolean', description: 'The app runs in an emulator or simulator.' },
  },
} as const;

export const publicJwkSchema = {
  type: 'object',
  required: ['kty', 'crv', 'x', 'y'],
  properties: {
    kty: { type: 'string', const: 'EC' },
    crv: { type: 'string', const: 'P-256' },
    // A P-256 coordinate is 32 bytes: 43 base64url characters, no padding (RFC 7518 §6.2.1.2).
    x: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' },
    y: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' },
  },
  description: 'The device public key (ECDSA P-256); the same key signs the DPoP proofs.',
} as const;

// Text without control characters or unpaired surrogates: what a device or a user may put in a
// name, version or search. PostgreSQL text cannot hold NUL (it would fail the statement), UTF-8
// cannot hold an unpaired surrogate (the database would store another string than was sent), and
// no such field needs any control character.
export { NO_CONTROL_CHARACTERS };

/** Identifiers in paths, filters and cursors (user and device ids are UUIDs). */
export const ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';

/** A short device-supplied text (versions). */
export const shortText = {
  type: 'string',
  minLength: 1,
  maxLength: 40,
  pattern: NO_CONTROL_CHARACTERS,
} as const;

export const deviceDeclarationSchema = {
  type: 'object',
  required: ['id', 'publicKey', 'platform', 'osVersion', 'appVersion', 'posture'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', format: 'uuid', description: 'Install id chosen by the device (UUID).' },
    publicKey: publicJwkSchema,
    name: {
      type: 'string',
      minLength: 1,
      maxLength: 100,
      pattern: NO_CONTROL_CHARACTERS,
      description: 'A name for the device, shown to admins (e.g. "Gina\'s phone"); optional.',
    },
    platform: { ...shortText, pattern: '^[a-z0-9_-]+$', description: 'ios, android, web, electron, …' },
    osVersion: shortText,
    appVersion: shortText,
    posture: postureSchema,
  },
} as const;

export const findingSchema = {
  type: 'object',
  required: ['code', 'action', 'message'],
  properties: {
    code: { type: 'string' },
    action: { type: 'string', enum: ['warn', 'refuse'] },
    message: { type: 'string' },
  },
} as const;

export const policySchema = {
  type: 'object',
  required: ['decision', 'findings', 'settings', 'signed'],
  properties: {
    decision: { type: 'string', enum: ['allow', 'warn', 'refuse'] },
    findings: { type: 'array', items: findingSchema },
    settings: {
      type: 'object',
      required: ['lockTimeoutSeconds', 'failedUnlockLimit', 'offlineGraceSeconds'],
      properties: {
        lockTimeoutSeconds: { type: 'integer' },
        failedUnlockLimit: { type: 'integer' },
        offlineGraceSeconds: { type: 'integer' },
      },
    },
    signed: {
      type: 'string',
      description:
        'The same decision and settings as a JWS (typ bulwark-policy+jwt) signed by a key of /.well-known/jwks.json.',
    },
  },
} as const;

export const tokenResponseSchema = {
  type: 'object',
  required: ['accessToken', 'tokenType', 'expiresIn', 'refreshToken', 'user', 'device', 'policy'],
  properties: {
    accessToken: { type: 'string' },
    tokenType: { type: 'string', const: 'DPoP' },
    expiresIn: { type: 'integer' },
    refreshToken: { type: 'string' },
    user: {
      type: 'object',
      required: ['id', 'username', 'role', 'mustChangePassword'],
      properties: {
        id: { type: 'string' },
        username: { type: 'string' },
        role: { type: 'string' },
        mustChangePassword: { type: 'boolean' },
      },
    },
    device: {
      type: 'object',
      required: ['id', 'status'],
      properties: { id: { type: 'string' }, status: { type: 'string' } },
    },
    policy: policySchema,
  },
} as const;

/** Documents the DPoP request headers on a route. */
export const dpopHeadersSchema = {
  type: 'object',
  properties: {
    dpop: { type: 'string', description: 'DPoP proof (RFC 9449) signed with the device key.' },
  },
} as const;

export const authHeadersSchema = {
  type: 'object',
  properties: {
    authorization: { type: 'string', description: 'DPoP <access token>' },
    dpop: { type: 'string', description: 'DPoP proof with ath, signed with the device key.' },
  },
} as const;

/** The DPoP security scheme (declared in the OpenAPI document). */
export const DPOP_SECURITY = [{ dpop: [] }];
