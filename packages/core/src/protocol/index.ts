/**
 * `@bulwark/core/protocol`: the wire contract of the client SDK and the server, defined once —
 * sync messages, the token response, device settings and signed policy, the JOSE `typ` of
 * policies and wipe receipts, the SDK pin configuration, and which hosts are loopback.
 */
export {
  type DeviceSettings,
  POLICY_TYP,
  type PolicyClaims,
  type PolicyDecisionValue,
  type PolicyFinding,
  type PolicyView,
  type TokenResponse,
  type TokenUser,
  WIPE_RECEIPT_TYP,
} from './auth.js';
export { ANDROID_EMULATOR_HOST, isAndroidEmulatorHost, isLoopbackHost } from './loopback.js';
export type { SdkPinConfig } from './pins.js';
export type {
  PulledChange,
  PullResponse,
  PushMutation,
  PushResponse,
  PushResult,
  RejectionIssue,
} from './sync.js';
