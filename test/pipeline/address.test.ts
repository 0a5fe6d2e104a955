// The remembered address texts frame parsing uses are formatMac's and formatIPv4's, for new
// and repeated addresses alike, also when cache slots are taken over by other addresses.
import test from 'ava';
import { formatIPv4, formatMac, ipBytes, ipv4Text, macText, parseIP } from '../../pipeline/address.ts';

test('macText and ipv4Text give formatMac and formatIPv4, at any offset, across evictions', (t) => {
  let seed = 7;
  const byte = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) & 0xff;
  const b = new Uint8Array(9);
  let differ = 0;
  for (let i = 0; i < 150_000; i++) { // far more distinct values than slots: evictions and reuse
    for (let j = 0; j < b.length; j++) b[j] = i % 3 === 0 ? byte() & 3 : byte(); // many repeats, many new
    const at = i % 4;
    if (macText(b, at) !== formatMac(b, at) || ipv4Text(b, at) !== formatIPv4(b, at)) differ++;
  }
  for (const edge of [Uint8Array.of(0, 0, 0, 0, 0, 0), Uint8Array.of(255, 255, 255, 255, 255, 255), Uint8Array.of(128, 0, 0, 0, 0, 1)]) {
    t.is(macText(edge), formatMac(edge));
    t.is(ipv4Text(edge), formatIPv4(edge));
  }
  t.is(differ, 0);
});

test('ipBytes gives parseIP\'s bytes (null for no address), the first time and after', (t) => {
  const texts = ['10.0.0.1', '255.255.255.255', 'fd00::1', '::ffff:10.1.2.3', '2001:db8::8:800:200c:417a', '10.0.0.256', 'fd00::g', '', 'x'];
  for (let round = 0; round < 2; round++) for (const text of texts) t.deepEqual(ipBytes(text), parseIP(text), text);
  t.is(ipBytes('10.0.0.1'), ipBytes('10.0.0.1')); // remembered: the same bytes
});
