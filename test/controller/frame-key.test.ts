import test from 'ava';
import { frameKey } from '../../controller/frame-key.ts';
import { ipv4ToText, ipv6ToText, macToText } from '../../openflow/index.ts';
import { ipv4Text, macText } from '../../pipeline/index.ts';
import { seededRandom } from '../../pipeline/traffic-generator.ts';
import { cookieHigh, cookieOf, flowHash, flowIdOf, hashOfCookieWords, isOurFlowCookie } from '../../controller/flow-id.ts';
import { keyToMatch, matchToKey } from '../../controller/match.ts';
import { ipv4, tcp, udp, icmpEcho } from './frames.ts';

const f = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };

test('a VLAN-tagged TCP frame gives vlan, addresses and ports', (t) => {
  const k = frameKey(ipv4({ ...f, vlan: 0x2064 }, '10.0.0.1', '10.0.0.2', 6, tcp(1234, 443)), 3);
  t.deepEqual(k?.key, { inPort: 3, ethDst: f.dst, ethSrc: f.src, vlanId: 0x064, ethType: 0x0800, ipProto: 6, ipSrc: '10.0.0.1', ipDst: '10.0.0.2', srcPort: 1234, dstPort: 443 });
});

test('an IPv4 fragment and a truncated TCP header fall back to the L2 key', (t) => {
  t.deepEqual(frameKey(ipv4(f, '10.0.0.1', '10.0.0.2', 17, udp(1, 2), { fragOffset: 0x2000 }), 1)?.key, { inPort: 1, ethDst: f.dst, ethSrc: f.src, ethType: 0x0800 });
  const cut = ipv4(f, '10.0.0.1', '10.0.0.2', 6, tcp(1, 2)).subarray(0, 14 + 20 + 2);
  t.deepEqual(frameKey(cut, 1)?.key, { inPort: 1, ethDst: f.dst, ethSrc: f.src, ethType: 0x0800 });
});

test('IPv6 addresses are written the RFC 5952 way', (t) => {
  const bytes = (groups: number[]) => Uint8Array.from(groups.flatMap((g) => [g >> 8, g & 0xff]));
  t.is(ipv6ToText(bytes([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]), 0), '2001:db8::1');
  t.is(ipv6ToText(bytes([0x2001, 0xdb8, 0, 1, 0, 0, 0, 1]), 0), '2001:db8:0:1::1');
  t.is(ipv6ToText(bytes([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1]), 0), '2001:db8:0:1:1:1:1:1', 'a single zero group is not compressed');
  t.is(ipv6ToText(bytes([0, 0, 0, 0, 0, 0, 0, 0]), 0), '::');
  t.is(ipv6ToText(bytes([0xfe80, 0, 0, 0, 0x200, 0, 0, 0]), 0), 'fe80::200:0:0:0', 'the first of two equal runs');
});

test('flow ids are deterministic, distinct per key, and carry our cookie tag', (t) => {
  const k1 = frameKey(ipv4(f, '10.0.0.1', '10.0.0.2', 6, tcp(1, 2)), 1)!.key;
  const k2 = { ...k1, srcPort: 3 };
  t.is(flowIdOf(k1), flowIdOf({ ...k1 }));
  t.not(flowIdOf(k1), flowIdOf(k2));
  t.true(isOurFlowCookie(flowIdOf(k1)));
  t.false(isOurFlowCookie(0n));
  t.false(isOurFlowCookie(0xffffffffffffffffn));
});

test('a key survives the trip to an OXM match and back', (t) => {
  for (const frame of [ipv4({ ...f, vlan: 5 }, '10.0.0.1', '10.0.0.2', 6, tcp(1, 2)), ipv4(f, '10.0.0.1', '10.0.0.2', 1, icmpEcho(8))]) {
    const key = frameKey(frame, 4)!.key;
    t.deepEqual(matchToKey(keyToMatch(key)), key);
  }
  t.is(matchToKey([]), null, 'the table-miss match is no flow');
});

test('flow hashes are pinned: cookies written before a restart or an upgrade are recognised after it', (t) => {
  const tcpKey = { inPort: 1, ethSrc: '02:00:00:00:00:01', ethDst: '02:00:00:00:00:02', ethType: 0x800, ipProto: 6, ipSrc: '10.0.0.1', ipDst: '10.0.0.2', srcPort: 1234, dstPort: 80 };
  t.is(flowHash(tcpKey), 1455547736398770);
  t.is(flowHash({ inPort: 3, ethDst: 'ff:ff:ff:ff:ff:ff', ethSrc: '02:00:00:00:00:01', ethType: 0x806 }), 6481901174861391);
  t.is(flowIdOf(tcpKey), (0x47n << 56n) | 1455547736398770n);
  const r = seededRandom(8);
  for (let i = 0; i < 10_000; i++) {
    const hash = Math.floor(r() * 2 ** 53);
    if (cookieOf(hash) !== ((0x47n << 56n) | BigInt(hash))) return t.fail(`cookie of ${hash}`);
    if (hashOfCookieWords(cookieHigh(hash), hash >>> 0) !== hash) return t.fail(`hash of the cookie of ${hash}`);
    // Another controller's tag, or bits between our tag and the hash: not a cookie of ours.
    const other = (cookieHigh(hash) ^ (1 << (21 + (i % 11)))) >>> 0;
    if (hashOfCookieWords(other, hash >>> 0) !== -1) return t.fail(`${other.toString(16)} taken for one of our cookies`);
  }
});

test('remembered address texts are always the address\'s own, also when slots are shared and reused', (t) => {
  const r = seededRandom(5);
  const b = new Uint8Array(6);
  let wrong = 0;
  // Far more addresses than slots, alike in their first bytes as a site's are, each twice:
  // hits, misses, evictions, and addresses that share a slot and half their bytes.
  for (let i = 0; i < 100_000; i++) {
    for (let j = 0; j < 6; j++) b[j] = j < 3 ? [2, 10, 192][Math.floor(r() * 3)]! : Math.floor(r() * 256);
    for (let k = 0; k < 2; k++) {
      if (macText(b, 0) !== macToText(b, 0)) wrong++;
      if (ipv4Text(b, 1) !== ipv4ToText(b, 1)) wrong++;
    }
  }
  t.is(wrong, 0);
});
