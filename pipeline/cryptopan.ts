// Crypto-PAn (Xu, Fan, Ammar, Moon 2002): prefix-preserving address pseudonymization with
// AES-128. Two addresses sharing a k-bit prefix get pseudonyms sharing a k-bit prefix, so
// subnets stay subnets, and nothing short of the key maps a pseudonym back.
//
// Bit i of the output is bit i of the input XOR the first bit of AES_K(input's first i
// bits ‖ pad's remaining bits). The 32 (IPv4) or 128 (IPv6) AES inputs do not depend on
// each other, so they go to one ECB call as consecutive blocks: one cipher call per address
// instead of one per bit.
import { createCipheriv } from 'node:crypto';

export const CRYPTOPAN_KEY_BYTES = 32;

export class CryptoPAn {
  readonly #key: Buffer;
  readonly #pad: Uint8Array;

  /** key: 32 bytes, the AES-128 key followed by the 16-byte pad seed. */
  constructor(key: Uint8Array) {
    if (key.length !== CRYPTOPAN_KEY_BYTES) throw new Error(`a Crypto-PAn key has ${CRYPTOPAN_KEY_BYTES} bytes, got ${key.length}`);
    this.#key = Buffer.from(key.subarray(0, 16));
    this.#pad = this.#encrypt(key.subarray(16, 32)).subarray(0, 16);
  }

  #encrypt(blocks: Uint8Array): Buffer {
    const cipher = createCipheriv('aes-128-ecb', this.#key, null);
    cipher.setAutoPadding(false);
    return Buffer.concat([cipher.update(blocks), cipher.final()]);
  }

  /** Pseudonymizes a 4-byte IPv4 or 16-byte IPv6 address. */
  anonymize(addr: Uint8Array): Uint8Array {
    const n = addr.length;
    if (n !== 4 && n !== 16) throw new Error(`an IP address has 4 or 16 bytes, got ${n}`);
    const bits = n * 8;
    const blocks = new Uint8Array(bits * 16);
    for (let i = 0; i < bits; i++) {
      const block = blocks.subarray(i * 16, i * 16 + 16);
      block.set(this.#pad);
      // The first i bits come from the address, the rest stay the pad's.
      const whole = i >> 3;
      for (let k = 0; k < whole; k++) block[k] = addr[k]!;
      const rest = i & 7;
      if (rest) {
        const mask = (0xff << (8 - rest)) & 0xff;
        block[whole] = (addr[whole]! & mask) | (this.#pad[whole]! & ~mask & 0xff);
      }
    }
    const encrypted = this.#encrypt(blocks);
    const out = Uint8Array.from(addr);
    for (let i = 0; i < bits; i++) {
      const flip = encrypted[i * 16]! >> 7;
      out[i >> 3]! ^= flip << (7 - (i & 7));
    }
    return out;
  }
}
