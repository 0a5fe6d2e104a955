import test from 'ava';
import { readFileSync } from 'node:fs';
import { CryptoPAn } from '../../pipeline/cryptopan.ts';
import { formatIP, parseIP } from '../../pipeline/address.ts';

// External vectors from the original Crypto-PAn distribution, read in place.
const dir = new URL('../../../shared/conformance/cryptopan/', import.meta.url);
const key = Buffer.from(readFileSync(new URL('key.hex', dir), 'utf8').trim(), 'hex');
const vectors = readFileSync(new URL('vectors.tsv', dir), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t') as [string, string]);

test('all 75 published vectors (70 IPv4, 5 IPv6) match', (t) => {
  t.is(vectors.length, 75);
  const c = new CryptoPAn(key);
  const wrong = vectors.filter(([original, pseudonym]) => formatIP(c.anonymize(parseIP(original)!)) !== pseudonym);
  t.deepEqual(wrong, []);
});

function sharedPrefixBits(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length * 8; i++) if (((a[i >> 3]! ^ b[i >> 3]!) >> (7 - (i & 7))) & 1) return i;
  return a.length * 8;
}

test('prefix preserving: pseudonyms share exactly as many leading bits as the originals', (t) => {
  const c = new CryptoPAn(Uint8Array.from({ length: 32 }, (_, i) => i * 7));
  const addresses = ['10.0.0.1', '10.0.0.2', '10.0.1.1', '10.128.0.1', '192.168.1.1', '11.0.0.1', 'fd00::1', 'fd00::2', 'fd00:1::1', '2001:db8::1'].map((a) => parseIP(a)!);
  for (const a of addresses) {
    for (const b of addresses) {
      if (a.length !== b.length) continue;
      t.is(sharedPrefixBits(c.anonymize(a), c.anonymize(b)), sharedPrefixBits(a, b));
    }
  }
});

test('a different key gives different pseudonyms; a wrong key length is refused', (t) => {
  const a = new CryptoPAn(new Uint8Array(32).fill(1)).anonymize(parseIP('10.0.0.1')!);
  const b = new CryptoPAn(new Uint8Array(32).fill(2)).anonymize(parseIP('10.0.0.1')!);
  t.notDeepEqual(a, b);
  t.throws(() => new CryptoPAn(new Uint8Array(16)), { message: /32 bytes/ });
});
