/**
 * The sign-in wire contract: the token response of `POST /auth/login` and `POST /auth/refresh`,
 * the device settings the server's policy imposes, and the JOSE `typ` of the two JWS the server
 * and a device exchange besides tokens (the signed policy, the wipe receipt). docs/client.md,
 * "Protocol"; docs/api.md.
 *
 * @example
 * ```ts
 * import { POLICY_TYP, type TokenResponse } from '@bulwark/core/protocol';
 * const { payload } = await jwtVerify(response.policy.signed, jwks, { typ: POLICY_TYP });
 * ```
 */

/**
 * JOSE `typ` of the server's signed device policy (ES256, `sub` = device id).
 *
 * @example
 * ```ts
 * await jwtVerify(signed, jwks, { typ: POLICY_TYP, algorithms: ['ES256'] });
 * ```
 */
export const POLICY_TYP = 'bulwark-policy+jwt';

/**
 * JOSE `typ` of a device's wipe receipt (ES256, signed by the device key, `sub` = device id).
 *
 * @example
 * ```ts
 * new SignJWT({}).setProtectedHeader({ alg: 'ES256', typ: WIPE_RECEIPT_TYP });
 * ```
 */
export const WIPE_RECEIPT_TYP = 'bulwark-wipe+jwt';

/**
 * Settings the server's device policy imposes on the device.
 *
 * @example
 * ```ts
 * const immediate: DeviceSettings = { lockTimeoutSeconds: 0, failedUnlockLimit: 10, offlineGraceSeconds: 604800 };
 * ```
 */
export interface DeviceSettings {
  /** Lock the vault after this many seconds in the background or idle; 0: lock immediately. */
  readonly lockTimeoutSeconds: number;
  /** Wrong passcodes before the device wipes itself. */
  readonly failedUnlockLimit: number;
  /** Seconds without a successful check-in after which the device wipes itself. */
  readonly offlineGraceSeconds: number;
}

/**
 * What a policy decided for a device.
 *
 * @example
 * ```ts
 * const decision: PolicyDecisionValue = 'warn';
 * ```
 */
export type PolicyDecisionValue = 'allow' | 'warn' | 'refuse';

/**
 * One rule of the device policy that matched.
 *
 * @example
 * ```ts
 * const finding: PolicyFinding = { code: 'device_emulator', action: 'warn', message: 'running in an emulator' };
 * ```
 */
export interface PolicyFinding {
  /** Stable code the app can show: device_rooted, device_emulator, screen_lock_missing, … */
  readonly code: string;
  readonly action: 'warn' | 'refuse';
  readonly message: string;
}

/**
 * The claims of the signed policy (besides `iss`, `sub`, `iat`, `exp`), and the policy member of
 * a token response without its signature.
 *
 * @example
 * ```ts
 * const claims: PolicyClaims = { decision: 'allow', findings: [], settings };
 * ```
 */
export interface PolicyClaims {
  readonly decision: PolicyDecisionValue;
  readonly findings: readonly PolicyFinding[];
  readonly settings: DeviceSettings;
}

/**
 * The `policy` member of a token response: the decision in the clear, for display, and `signed`,
 * the same as a JWS of `typ` {@link POLICY_TYP}; the SDK applies only what the signature covers.
 *
 * @example
 * ```ts
 * const settings = (await verifyPolicy(response.policy.signed)).settings;
 * ```
 */
export interface PolicyView extends PolicyClaims {
  readonly signed: string;
}

/**
 * The signed-in user, as the token response names them.
 *
 * @example
 * ```ts
 * if (response.user.mustChangePassword) showChangePassword();
 * ```
 */
export interface TokenUser {
  readonly id: string;
  readonly username: string;
  readonly role: string;
  readonly mustChangePassword: boolean;
}

/**
 * The answer of `POST /auth/login` and `POST /auth/refresh`: a DPoP-bound access token, a
 * rotating refresh token, the user, the device and its signed policy.
 *
 * @example
 * ```ts
 * const response = (await res.json()) as TokenResponse;
 * const expiresAt = Date.now() + response.expiresIn * 1000;
 * ```
 */
export interface TokenResponse {
  readonly accessToken: string;
  readonly tokenType: 'DPoP';
  /** Seconds until the access token expires. */
  readonly expiresIn: number;
  readonly refreshToken: string;
  readonly user: TokenUser;
  readonly device: { readonly id: string; readonly status: string };
  readonly policy: PolicyView;
}
