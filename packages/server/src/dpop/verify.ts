/**
 * DPoP proof verification (RFC 9449 §4.3, with the nonce of §8 and the replay check of §11.1),
 * each check with its own problem code so that a client developer sees which one failed: one
 * header, strict base64url, `typ`, `alg` (ES256 only), no `crit`/`b64`, a public P-256 `jwk`,
 * signature, `htm`, `htu`, `iat` window, `jti`, `ath`, server nonce, replay.
 *
 * The signature is the one step not left to jose: it is checked with `node:crypto`'s synchronous
 * `verify` (ES256 in its IEEE P1363 form, r‖s) on a `KeyObject`. jose verifies asynchronously
 * through WebCrypto, which costs a round trip to libuv's thread pool on every request (about
 * three times the elliptic-curve work itself, docs/operations.md). jose still parses and
 * validates the key (`importJWK` refuses points off the curve) and computes its thumbprint, once
 * per key; keys are cached by thumbprint in a bounded LRU map, so a steady client costs one
 * ECDSA verify per request and no key import.
 */
import { KeyObject, verify as verifySignature } from 'node:crypto';
import { type CryptoKey, calculateJwkThumbprint, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import type { AuthConfig } from '../config.js';
import type { ServerErrorCode } from '../http/codes.js';
import { HttpProblem } from '../http/problem.js';
import { isStrictBase64url, sha256Base64url } from '../lib/encoding.js';
import { LruMap } from '../lib/lru.js';
import { normalizeHtu } from './htu.js';
import type { NonceService } from './nonce.js';
import { type ReplayStore, replayKey } from './replay-cache.js';

/** A proof that failed a check: 401 with `WWW-Authenticate: DPoP error="invalid_dpop_proof"`. */
export class DpopProofError extends HttpProblem {
  constructor(code: ServerErrorCode, detail: string, cause?: unknown) {
    super(401, code, detail, {
      cause,
      headers: { 'www-authenticate': 'DPoP error="invalid_dpop_proof", algs="ES256"' },
    });
  }
}

/** The proof lacks a valid server nonce: 401 `use_dpop_nonce` with a fresh `DPoP-Nonce`. */
export class UseDpopNonceError extends HttpProblem {
  constructor(nonce: string) {
    super(401, 'use_dpop_nonce', 'Repeat the request with a proof that carries the nonce in DPoP-Nonce.', {
      headers: {
        'www-authenticate': 'DPoP error="use_dpop_nonce", algs="ES256"',
        'dpop-nonce': nonce,
      },
    });
  }
}

/** What the request offers for checking. */
export interface ProofInput {
  /** Every `DPoP` header value received (raw, in order). */
  readonly headers: readonly string[];
  readonly method: string;
  /** The request URI, normalised (dpop/htu.ts); undefined when it cannot be built. */
  readonly htu: string | undefined;
  /** The access token the proof must be bound to (`ath`), when one is presented. */
  readonly accessToken?: string;
  /**
   * `sha256Base64url(accessToken)` when the caller has it already (tokens/access-token.ts keeps
   * it with a verified token), so that the `ath` check hashes no token per request.
   */
  readonly accessTokenHash?: string;
}

/** A proof that passed every check. */
export interface VerifiedProof {
  /** RFC 7638 thumbprint of the proof key. */
  readonly jkt: string;
  readonly jwk: JWK;
  readonly jti: string;
}

/** A proof that passed every check but the replay check, which its caller still owes. */
export interface CheckedProof extends VerifiedProof {
  /** Until when the replay cache must keep it (epoch ms): no proof with its `iat` is accepted after. */
  readonly replayUntilMs: number;
}

/**
 * The refusal of a proof already used (the same key and `jti`).
 *
 * @example
 * ```ts
 * if (!(await replay.record(replayKey(proof.jkt, proof.jti), proof.replayUntilMs))) throw proofReplayed();
 * ```
 */
export function proofReplayed(): DpopProofError {
  return new DpopProofError('dpop_proof_replayed', 'This DPoP proof was already used.');
}

const MAX_PROOF_LENGTH = 8192;
const MAX_JTI_LENGTH = 256;
/**
 * Longest protected header cached by its text. A client's header (typ, alg, a P-256 jwk) is
 * about 200 characters; the bound keeps a flood of padded headers from filling memory.
 */
const MAX_CACHED_HEADER_LENGTH = 512;
const UTF8 = new TextDecoder('utf-8', { fatal: true });
/** Members of an EC JWK that only a private key has. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** What a protected header that passed the header checks yields. */
interface KnownHeader {
  /** RFC 7638 thumbprint of the key. */
  readonly jkt: string;
  /** The key as node:crypto uses it (synchronous verify). */
  readonly key: KeyObject;
  readonly jwk: JWK;
}

/** Length of an ES256 signature in JWS form: r and s, 32 bytes each (RFC 7518 §3.4). */
const ES256_SIGNATURE_LENGTH = 64;

/** Checks DPoP proofs. */
export class DpopVerifier {
  readonly #config: AuthConfig['dpop'];
  readonly #replay: ReplayStore;
  readonly #nonces: NonceService;
  readonly #now: () => Date;
  /** Imported keys, by RFC 7638 thumbprint. */
  readonly #keys: LruMap<string, KnownHeader>;
  /** The same, by the exact base64url text of protected headers that passed the header checks. */
  readonly #headers: LruMap<string, KnownHeader>;

  constructor(config: AuthConfig['dpop'], replay: ReplayStore, nonces: NonceService, now: () => Date) {
    this.#config = config;
    this.#replay = replay;
    this.#nonces = nonces;
    this.#now = now;
    this.#keys = new LruMap(config.keyCacheSize);
    this.#headers = new LruMap(config.keyCacheSize);
  }

  /** The nonce service (for the `DPoP-Nonce` response header). */
  get nonces(): NonceService {
    return this.#nonces;
  }

  /** The replay cache (for callers of {@link DpopVerifier.check}). */
  get replay(): ReplayStore {
    return this.#replay;
  }

  /**
   * Runs every check; throws {@link DpopProofError} or {@link UseDpopNonceError} on failure.
   *
   * @example
   * ```ts
   * const proof = await verifier.verify({ headers: ['eyJ…'], method: 'GET', htu: 'https://api.example.com/me', accessToken });
   * if (proof.jkt !== token.cnf.jkt) throw new DpopProofError('dpop_key_mismatch', '…');
   * ```
   */
  async verify(input: ProofInput): Promise<VerifiedProof> {
    const { jkt, jwk, jti, replayUntilMs } = await this.check(input);
    if (!(await this.#replay.record(replayKey(jkt, jti), replayUntilMs))) throw proofReplayed();
    return { jkt, jwk, jti };
  }

  /**
   * Runs every check but the replay check, for a caller that records the proof in the replay
   * cache itself, in the same statement as other work (http/authenticate.ts). The proof must
   * not be accepted before it has been recorded as fresh.
   *
   * @example
   * ```ts
   * const proof = await verifier.check(input);
   * if (!(await verifier.replay.record(replayKey(proof.jkt, proof.jti), proof.replayUntilMs))) throw proofReplayed();
   * ```
   */
  async check(input: ProofInput): Promise<CheckedProof> {
    const parts = compactParts(input);
    // A header seen before passed every header check then: they depend on its text alone.
    const known = this.#headers.get(parts.h) ?? (await this.#checkHeader(parts.proof, parts.h));
    return this.#checkRest(input, parts, known);
  }

  /**
   * {@link DpopVerifier.check}, synchronously, when the proof's protected header was checked
   * before (the steady state of a client: its header never changes); undefined otherwise, and
   * the caller then awaits `check`. Throws as `check` does.
   *
   * @example
   * ```ts
   * const proof = verifier.checkNow(input) ?? (await verifier.check(input));
   * ```
   */
  checkNow(input: ProofInput): CheckedProof | undefined {
    const parts = compactParts(input);
    const known = this.#headers.get(parts.h);
    return known === undefined ? undefined : this.#checkRest(input, parts, known);
  }

  /** Every check after the header's: signature, then the payload's claims. */
  #checkRest(input: ProofInput, parts: CompactParts, known: KnownHeader): CheckedProof {
    const { proof, h, p, sig } = parts;
    const { jkt, key, jwk: publicJwk } = known;
    const now = this.#now();
    // The signature is checked before the payload is even decoded: ECDSA P-256 with SHA-256
    // over the signing input, r‖s of exactly 64 bytes (RFC 7518 §3.4).
    const signature = Buffer.from(sig, 'base64url');
    const signed =
      signature.length === ES256_SIGNATURE_LENGTH &&
      verifySignature(
        'sha256',
        // The signing input is the proof up to its second dot (no string built to join h and p).
        Buffer.from(proof.slice(0, h.length + 1 + p.length), 'latin1'),
        { key, dsaEncoding: 'ieee-p1363' },
        signature,
      );
    if (!signed)
      throw new DpopProofError('dpop_proof_signature', 'The DPoP proof signature does not verify.');
    let payload: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(UTF8.decode(Buffer.from(p, 'base64url')));
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new TypeError('not an object');
      payload = parsed as Record<string, unknown>;
    } catch (cause) {
      throw new DpopProofError('dpop_proof_malformed', 'The DPoP proof is not a valid JWT.', cause);
    }

    const { jti, htm, htu, iat, ath, nonce } = payload;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
      throw new DpopProofError('dpop_proof_jti', 'The proof needs a jti of 1 to 256 characters.');
    }
    if (typeof htm !== 'string' || htm !== input.method) {
      throw new DpopProofError('dpop_proof_htm', 'The proof htm does not match the request method.');
    }
    // input.htu is normalised, and normalising is idempotent: an identical string matches.
    if (
      typeof htu !== 'string' ||
      input.htu === undefined ||
      (htu !== input.htu && normalizeHtu(htu) !== input.htu)
    ) {
      throw new DpopProofError('dpop_proof_htu', 'The proof htu does not match the request URI.');
    }
    const nowSeconds = now.getTime() / 1000;
    if (
      typeof iat !== 'number' ||
      !Number.isFinite(iat) ||
      nowSeconds - iat > this.#config.maxAgeSeconds ||
      iat - nowSeconds > this.#config.futureSkewSeconds
    ) {
      throw new DpopProofError('dpop_proof_iat', 'The proof iat is outside the accepted window.');
    }
    if (
      input.accessToken !== undefined &&
      ath !== (input.accessTokenHash ?? sha256Base64url(input.accessToken))
    ) {
      throw new DpopProofError('dpop_proof_ath', 'The proof ath does not match the access token.');
    }
    if (this.#config.requireNonce && !this.#nonces.isValid(nonce)) {
      throw new UseDpopNonceError(this.#nonces.current());
    }
    // Kept until no proof with this iat can be accepted any more.
    const expiresAt = (iat + this.#config.maxAgeSeconds + this.#config.futureSkewSeconds) * 1000 + 1000;
    return { jkt, jwk: publicJwk, jti, replayUntilMs: Math.ceil(expiresAt) };
  }

  /**
   * The header checks of a proof whose header is not cached yet: JSON, `typ`, `alg`, a public
   * P-256 `jwk` on the curve. Imports the key (or finds it imported) and caches the result
   * under the header's text when that text is of the size a real client sends.
   */
  async #checkHeader(proof: string, h: string): Promise<KnownHeader> {
    if (!isStrictBase64url(h)) throw malformed();
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(proof);
    } catch (cause) {
      throw new DpopProofError('dpop_proof_malformed', 'The DPoP proof header is not valid JSON.', cause);
    }
    if (header.typ !== 'dpop+jwt')
      throw new DpopProofError('dpop_proof_typ', 'The proof typ must be dpop+jwt.');
    if (header.alg !== 'ES256') throw new DpopProofError('dpop_proof_alg', 'The proof alg must be ES256.');
    // No JWS extension is understood here: a `crit` list must be refused (RFC 7515 §4.1.11), and
    // `b64: false` (RFC 7797) would change what is signed.
    if ('crit' in header || 'b64' in header) {
      throw new DpopProofError('dpop_proof_malformed', 'The proof header uses a JWS extension (crit, b64).');
    }
    const jwk = header.jwk;
    if (
      jwk === undefined ||
      typeof jwk !== 'object' ||
      jwk.kty !== 'EC' ||
      jwk.crv !== 'P-256' ||
      typeof jwk.x !== 'string' ||
      typeof jwk.y !== 'string' ||
      !isStrictBase64url(jwk.x) ||
      !isStrictBase64url(jwk.y) ||
      PRIVATE_MEMBERS.some((m) => m in jwk)
    ) {
      throw new DpopProofError('dpop_proof_jwk', 'The proof jwk must be a public EC P-256 key.');
    }
    // Frozen: the same object is handed to every request made with this key.
    const publicJwk: JWK = Object.freeze({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y });
    // The thumbprint hashes the canonical members (RFC 7638): it names the key, however the
    // header spells it.
    const jkt = await calculateJwkThumbprint(publicJwk);
    let known = this.#keys.get(jkt);
    if (known === undefined) {
      let imported: CryptoKey;
      try {
        // WebCrypto refuses points that are not on the curve.
        imported = (await importJWK(publicJwk, 'ES256')) as CryptoKey;
      } catch (cause) {
        throw new DpopProofError('dpop_proof_jwk', 'The proof jwk is not a valid P-256 public key.', cause);
      }
      known = { jkt, key: KeyObject.from(imported), jwk: publicJwk };
      this.#keys.set(jkt, known);
    }
    if (h.length <= MAX_CACHED_HEADER_LENGTH) this.#headers.set(h, known);
    return known;
  }
}

/** The three segments of a compact JWS proof, and the proof. */
interface CompactParts {
  readonly proof: string;
  readonly h: string;
  readonly p: string;
  readonly sig: string;
}

/** The one DPoP header of `input`, split into its segments; throws on the count and syntax checks. */
function compactParts(input: ProofInput): CompactParts {
  if (input.headers.length === 0) throw new DpopProofError('dpop_proof_missing', 'Send a DPoP proof header.');
  const [proof] = input.headers;
  if (input.headers.length > 1 || proof === undefined || proof.includes(',')) {
    throw new DpopProofError('dpop_proof_multiple', 'Send exactly one DPoP proof header.');
  }
  const parts = proof.split('.');
  const [h, p, sig] = parts;
  // An empty signature (alg "none") passes this step so that the alg check names the problem.
  if (
    proof.length > MAX_PROOF_LENGTH ||
    parts.length !== 3 ||
    h === undefined ||
    p === undefined ||
    sig === undefined ||
    !isStrictBase64url(p) ||
    (sig !== '' && !isStrictBase64url(sig))
  ) {
    throw malformed();
  }
  return { proof, h, p, sig };
}

function malformed(): DpopProofError {
  return new DpopProofError(
    'dpop_proof_malformed',
    'The DPoP proof is not a compact JWS in strict base64url.',
  );
}
