/** `bulwark pins` as a library: chain fetching, SPKI pins, recommendation and config emitters. */
export {
  type ChainCertificate,
  describeCertificate,
  type FetchChainOptions,
  type FetchedChain,
  fetchChain,
} from './chain.js';
export { emitAndroid } from './emit/android.js';
export { emitIos } from './emit/ios.js';
export { emitSdk, type SdkPinConfig, sdkPinConfig } from './emit/sdk.js';
export { PINS_EXIT, PinsConnectError, PinsInputError, PinsUntrustedError } from './errors.js';
export { pinOfKeyFile } from './keys.js';
export { type Pin, type PinRecommendation, recommendPins } from './recommend.js';
export { spkiPin } from './spki.js';
