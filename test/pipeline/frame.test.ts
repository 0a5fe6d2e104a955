import test from 'ava';
import { parseFrame, TCP_ACK, TCP_SYN } from '../../pipeline/frame.ts';
import { ethernet, arp, ipv4, ipv6, tcp, udp, icmp, ETH_ARP, ETH_IPV4, ETH_IPV6, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP } from '../../pipeline/frame-builder.ts';
import { seededRandom } from '../../pipeline/traffic-generator.ts';

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';

test('Ethernet II + IPv4 + TCP: addresses, ports, TTL and flags', (t) => {
  const f = parseFrame(ethernet({ src: A, dst: B, type: ETH_IPV4 }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: PROTO_TCP, ttl: 63, dscp: 46 }, tcp({ srcPort: 40000, dstPort: 443, flags: TCP_SYN | TCP_ACK }))));
  t.deepEqual(f.eth, { src: A, dst: B });
  t.like(f.ip, { version: 4, src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, ttl: 63, dscp: 46, fragment: false, options: false });
  t.deepEqual(f.tcp, { srcPort: 40000, dstPort: 443, flags: TCP_SYN | TCP_ACK });
  t.false(f.truncated);
});

test('802.1Q and QinQ tags give the VLAN ids, outermost first', (t) => {
  const inner = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: PROTO_UDP }, udp({ srcPort: 5353, dstPort: 53 }));
  t.deepEqual(parseFrame(ethernet({ src: A, dst: B, type: ETH_IPV4, vlans: [100] }, inner)).vlans, [100]);
  const qinq = parseFrame(ethernet({ src: A, dst: B, type: ETH_IPV4, vlans: [200, 300] }, inner));
  t.deepEqual(qinq.vlans, [200, 300]);
  t.deepEqual(qinq.udp, { srcPort: 5353, dstPort: 53 });
});

test('ARP request', (t) => {
  const f = parseFrame(ethernet({ src: A, dst: 'ff:ff:ff:ff:ff:ff', type: ETH_ARP }, arp({ operation: 1, senderMac: A, senderIp: '10.0.0.1', targetMac: '00:00:00:00:00:00', targetIp: '10.0.0.2' })));
  t.deepEqual(f.arp, { operation: 1, senderMac: A, senderIp: '10.0.0.1', targetMac: '00:00:00:00:00:00', targetIp: '10.0.0.2' });
  t.is(f.etherType, ETH_ARP);
});

test('IPv4 options are skipped to reach the transport header', (t) => {
  const options = Uint8Array.of(0x94, 0x04, 0x00, 0x00); // Router Alert
  const f = parseFrame(ethernet({ src: A, dst: B, type: ETH_IPV4 }, ipv4({ src: '10.0.0.1', dst: '224.0.0.22', protocol: PROTO_UDP, options }, udp({ srcPort: 1, dstPort: 2 }))));
  t.true(f.ip!.options);
  t.deepEqual(f.udp, { srcPort: 1, dstPort: 2 });
});

test('IPv4 fragments: the first carries ports, later ones do not pretend to', (t) => {
  const first = parseFrame(ethernet({ src: A, dst: B, type: ETH_IPV4 }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: PROTO_UDP, moreFragments: true }, udp({ srcPort: 9, dstPort: 10 }, new Uint8Array(64)))));
  t.like(first.ip, { fragment: true, fragmentOffset: 0 });
  t.deepEqual(first.udp, { srcPort: 9, dstPort: 10 });
  const later = parseFrame(ethernet({ src: A, dst: B, type: ETH_IPV4 }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: PROTO_UDP, fragmentOffset: 1480 }, new Uint8Array(64).fill(0x41))));
  t.like(later.ip, { fragment: true, fragmentOffset: 1480 });
  t.is(later.udp, undefined);
});

test('IPv6 extension header chain is walked to the transport header', (t) => {
  const extensions = [{ type: 0, body: new Uint8Array(6) }, { type: 60, body: new Uint8Array(14) }, { type: 43, body: new Uint8Array(6) }, { type: 44, fragmentOffset: 0 }];
  const f = parseFrame(ethernet({ src: A, dst: B, type: ETH_IPV6 }, ipv6({ src: 'fd00::1', dst: '2001:db8::25', protocol: PROTO_TCP, hopLimit: 7, extensions }, tcp({ srcPort: 5000, dstPort: 25, flags: TCP_SYN }))));
  t.like(f.ip, { version: 6, src: 'fd00::1', dst: '2001:db8::25', protocol: PROTO_TCP, ttl: 7, fragment: true });
  t.deepEqual(f.ip!.extensions, [0, 60, 43, 44]);
  t.deepEqual(f.tcp, { srcPort: 5000, dstPort: 25, flags: TCP_SYN });
});

test('ICMP and ICMPv6 type and code', (t) => {
  t.deepEqual(parseFrame(ethernet({ src: A, dst: B, type: ETH_IPV4 }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: PROTO_ICMP }, icmp({ type: 8, code: 0 })))).icmp, { type: 8, code: 0 });
  const v6 = parseFrame(ethernet({ src: A, dst: B, type: ETH_IPV6 }, ipv6({ src: 'fe80::1', dst: 'ff02::1:ff00:2', protocol: PROTO_ICMPV6, hopLimit: 255 }, icmp({ type: 135, code: 0 }))));
  t.deepEqual(v6.icmp, { type: 135, code: 0 });
  t.is(v6.ip!.dst, 'ff02::1:ff00:2');
});

test('a frame cut short yields the headers that are wholly present', (t) => {
  const full = ethernet({ src: A, dst: B, type: ETH_IPV4, vlans: [5] }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: PROTO_TCP }, tcp({ srcPort: 1, dstPort: 2, flags: TCP_SYN })));
  const noTcp = parseFrame(full.subarray(0, 14 + 4 + 20 + 10));
  t.true(noTcp.truncated);
  t.is(noTcp.ip!.src, '10.0.0.1');
  t.is(noTcp.tcp, undefined);
  const noIp = parseFrame(full.subarray(0, 14 + 4 + 8));
  t.true(noIp.truncated);
  t.deepEqual(noIp.vlans, [5]);
  t.is(noIp.ip, undefined);
  const nothing = parseFrame(full.subarray(0, 6));
  t.true(nothing.truncated);
  t.is(nothing.eth, undefined);
});

test('fuzz: 100,000 random and mutated frames never throw', (t) => {
  const random = seededRandom(4);
  const seeds = [
    ethernet({ src: A, dst: B, type: ETH_IPV4, vlans: [1, 2] }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: PROTO_TCP, options: new Uint8Array(8) }, tcp({ srcPort: 1, dstPort: 2, flags: 2 }))),
    ethernet({ src: A, dst: B, type: ETH_IPV6 }, ipv6({ src: 'fd00::1', dst: 'fd00::2', protocol: PROTO_UDP, extensions: [{ type: 0 }, { type: 44 }] }, udp({ srcPort: 1, dstPort: 2 }))),
    ethernet({ src: A, dst: B, type: ETH_ARP }, arp({ operation: 2, senderMac: A, senderIp: '10.0.0.1', targetMac: B, targetIp: '10.0.0.2' })),
  ];
  let parsed = 0;
  let withIp = 0;
  for (let i = 0; i < 100_000; i++) {
    let frame: Uint8Array;
    if (i % 2 === 0) {
      frame = Uint8Array.from({ length: Math.floor(random() * 200) }, () => Math.floor(random() * 256));
    } else {
      frame = Uint8Array.from(seeds[i % 3]!);
      for (let m = 1 + Math.floor(random() * 6); m > 0; m--) frame[Math.floor(random() * frame.length)] = Math.floor(random() * 256);
      frame = frame.subarray(0, Math.floor(random() * (frame.length + 1)));
    }
    const f = parseFrame(frame); // throws would fail the test
    parsed++;
    if (f.ip) withIp++;
  }
  t.is(parsed, 100_000);
  // The mutated half must mostly still reach IP parsing, or the fuzz would test little.
  t.true(withIp > 5_000, `only ${withIp} frames reached the IP layer`);
});
