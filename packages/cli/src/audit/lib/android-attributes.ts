/**
 * The `android.R.attr` resource ids of the attributes the Android checks read, shared by the AXML
 * (APK) and protocol-buffer XML (AAB) decoders. Obfuscators may blank or rename attribute names,
 * but the platform resolves attributes by these ids, so the decoders do too: a renamed
 * `debuggable` is still `debuggable`. Ids from the Android SDK's public.xml.
 */

/**
 * Resource id → local attribute name.
 *
 * @example
 * ```ts
 * ANDROID_ATTRIBUTE_IDS.get(0x0101000f); // 'debuggable'
 * ```
 */
export const ANDROID_ATTRIBUTE_IDS: ReadonlyMap<number, string> = new Map([
  [0x01010003, 'name'],
  [0x01010006, 'permission'],
  [0x01010007, 'readPermission'],
  [0x01010008, 'writePermission'],
  [0x0101000f, 'debuggable'],
  [0x01010010, 'exported'],
  [0x01010012, 'taskAffinity'],
  [0x0101001b, 'grantUriPermissions'],
  [0x0101001d, 'launchMode'],
  [0x0101020c, 'minSdkVersion'],
  [0x01010204, 'allowTaskReparenting'],
  [0x01010270, 'targetSdkVersion'],
  [0x01010272, 'testOnly'],
  [0x0101027f, 'backupAgent'],
  [0x01010280, 'allowBackup'],
  [0x010104eb, 'fullBackupContent'],
  [0x010104ec, 'usesCleartextTraffic'],
  [0x01010473, 'fullBackupOnly'],
  [0x01010527, 'networkSecurityConfig'],
  [0x0101063e, 'dataExtractionRules'],
]);
