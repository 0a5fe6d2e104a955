// The privacy transform applied to every address before it enters an event.
//   pseudonymize (default): IPs by Crypto-PAn, MACs by keyed HMAC, under the site key;
//   raw: addresses as seen (the operator chose to keep personal data);
//   drop: no address at all.
// Pseudonyms are cached: Crypto-PAn costs 32 (IPv4) or 128 (IPv6) AES blocks per address,
// and a site sees the same few thousand hosts over and over.
import { createHash, createHmac } from 'node:crypto';
import { CryptoPAn } from './cryptopan.ts';
import { formatIP, formatMac, parseIP, parseMac } from './address.ts';
import { keyId } from './key-file.ts';

export type PrivacyMode = 'pseudonymize' | 'raw' | 'drop';
export const PRIVACY_MODES: readonly PrivacyMode[] = ['pseudonymize', 'raw', 'drop'];

const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';

/** Pseudonyms under one key. */
export class Pseudonymizer {
  readonly keyId: string;
  readonly #cryptoPAn: CryptoPAn;
  readonly #macKey: Buffer;
  readonly #cache = new Map<string, string>();
  readonly #cacheLimit: number;

  constructor(key: Uint8Array, cacheLimit = 65536) {
    this.#cryptoPAn = new CryptoPAn(key);
    // A separate key for MACs, so the HMAC and AES never share key material directly.
    this.#macKey = createHash('sha256').update('ghostbridge mac pseudonym v1').update(key).digest();
    this.#cacheLimit = cacheLimit;
    this.keyId = keyId(key);
  }

  /** Pseudonyms held in the cache now (at most the limit given). */
  get cacheSize(): number {
    return this.#cache.size;
  }

  /** An IPv4 or IPv6 address's pseudonym, in canonical text; null if the text is no address. */
  ip(text: string): string | null {
    const hit = this.#cache.get(text);
    if (hit !== undefined) return hit;
    const bytes = parseIP(text);
    if (!bytes) return null;
    return this.#remember(text, formatIP(this.#cryptoPAn.anonymize(bytes)));
  }

  /**
   * A MAC address's pseudonym: HMAC-SHA-256 truncated to 6 bytes, marked locally
   * administered, keeping the group (multicast) bit so broadcast/multicast stay recognisable.
   */
  mac(text: string): string | null {
    const hit = this.#cache.get(text);
    if (hit !== undefined) return hit;
    const bytes = parseMac(text);
    if (!bytes) return null;
    if (formatMac(bytes) === BROADCAST_MAC) return this.#remember(text, BROADCAST_MAC);
    const h = createHmac('sha256', this.#macKey).update(bytes).digest();
    h[0] = (h[0]! & 0xfc) | 0x02 | (bytes[0]! & 0x01);
    return this.#remember(text, formatMac(h));
  }

  #remember(text: string, pseudonym: string): string {
    // FIFO eviction: cheap, and a host evicted and seen again just costs one recomputation.
    if (this.#cache.size >= this.#cacheLimit) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(text, pseudonym);
    return pseudonym;
  }
}

/** What an event may say about an address, by privacy mode. */
export class Privacy {
  readonly mode: PrivacyMode;
  #pseudonymizer: Pseudonymizer | null;
  /** Passed on to each Pseudonymizer (undefined: its default). */
  readonly #cacheLimit: number | undefined;

  constructor(mode: PrivacyMode, key: Uint8Array | null, cacheLimit?: number) {
    if (!PRIVACY_MODES.includes(mode)) throw new Error(`privacy mode must be one of ${PRIVACY_MODES.join(', ')}; got ${String(mode)}`);
    if (mode === 'pseudonymize' && !key) throw new Error('pseudonymize mode needs a key');
    this.mode = mode;
    this.#cacheLimit = cacheLimit;
    this.#pseudonymizer = mode === 'pseudonymize' ? new Pseudonymizer(key!, this.#cacheLimit) : null;
  }

  /** The id of the key in use (pseudonymize mode), recorded in every event. */
  get keyId(): string | null {
    return this.#pseudonymizer?.keyId ?? null;
  }

  /** Switches to a new key; every address transformed after this call uses it. */
  rotate(key: Uint8Array): void {
    if (this.mode !== 'pseudonymize') throw new Error(`key rotation needs pseudonymize mode (mode is ${this.mode})`);
    this.#pseudonymizer = new Pseudonymizer(key, this.#cacheLimit);
  }

  ip(text: string | undefined): string | undefined {
    if (text === undefined || this.mode === 'drop') return undefined;
    if (this.mode === 'raw') return text;
    return this.#pseudonymizer!.ip(text) ?? undefined;
  }

  mac(text: string | undefined): string | undefined {
    if (text === undefined || this.mode === 'drop') return undefined;
    if (this.mode === 'raw') return text;
    return this.#pseudonymizer!.mac(text) ?? undefined;
  }
}
