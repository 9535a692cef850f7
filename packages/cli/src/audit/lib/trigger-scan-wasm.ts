/**
 * The prefilter's WebAssembly module (trigger-scan.wat), assembled by `npm run build:wasm`.
 * Generated: edit trigger-scan.wat, then rebuild; a test checks that these are its bytes.
 */
export const TRIGGER_SCAN_WASM =
  'AGFzbQEAAAABCAFgA39/fwF/AwIBAAUDAQAJBgYBfwFBAAsHGAMGbWVtb3J5AgAEbmV4dAMABHNjYW4AAAqjAgGgAgEFfwJA' +
  'A0AgACABTw0BIAAoAgAhAyADQf//A3FBAXQvAQAhBCAEBEBBgIAIIARBBnRqIQYgBiADQRB2Qf8BcSIHQQV2QQJ0aigCACAH' +
  'diAGQSBqIABBAWstAAAiB0EFdkECdGooAgAgB3ZyQQFxBEBBgIAQIAVBAnRqIAA2AgAgBUEBaiEFCwsgA0EQdkEBdC8BACEE' +
  'IAQEQEGAgAggBEEGdGohBiAGIABBBGotAAAiB0EFdkECdGooAgAgB3YgBkEgaiADQQh2Qf8BcSIHQQV2QQJ0aigCACAHdnJB' +
  'AXEEQEGAgBAgBUECdGogAEECajYCACAFQQFqIQULCyAAQQRqIQAgBUECaiACSwRAIAAkACAFDwsMAAsLIAAkACAFCw==';
