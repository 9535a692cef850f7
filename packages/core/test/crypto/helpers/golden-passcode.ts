/**
 * The golden passcode: full-width M, u + combining diaeresis, 'ller', circled digit one, the 'fi'
 * ligature, the Angstrom sign. Its NFC and NFKC forms differ; NFKC is 'Müller1fiÅ'.
 */
export const GOLDEN_PASSCODE = '\uFF2Du\u0308ller\u2460\uFB01\u212B';
/** 'M' 4d, 'ü' c3 bc, 'l' 6c, 'l' 6c, 'e' 65, 'r' 72, '1' 31, 'f' 66, 'i' 69, 'Å' (U+00C5) c3 85. */
export const GOLDEN_PASSCODE_BYTES = '4dc3bc6c6c6572316669c385';
