// An independent oracle for the frame parser: the same byte-built frames, written to a pcap
// file, decoded by Wireshark's tshark; every header field both decode must agree.
import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { prerequisite } from '../support/ci.ts';
import { parseFrame } from '../../pipeline/frame.ts';
import { ethernet, ipv4, ipv6, tcp, udp, icmp, ETH_IPV4, ETH_IPV6, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP } from '../../pipeline/frame-builder.ts';
import { generateTraffic } from '../../pipeline/traffic-generator.ts';
import { scratchDir } from './scratch.ts';

function pcap(frames: Uint8Array[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20); // Ethernet
  const records = frames.map((f, i) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(1_700_000_000 + i, 0);
    r.writeUInt32LE(f.length, 8);
    r.writeUInt32LE(f.length, 12);
    return Buffer.concat([r, f]);
  });
  return Buffer.concat([header, ...records]);
}

// An 802.1ad (QinQ) outer tag is ieee8021ad.id in tshark; it is folded into vlan.id below.
const FIELDS = ['eth.src', 'eth.dst', 'vlan.id', 'ip.src', 'ip.dst', 'ip.ttl', 'ipv6.src', 'ipv6.dst', 'ipv6.hlim', 'tcp.srcport', 'tcp.dstport', 'tcp.flags', 'udp.srcport', 'udp.dstport', 'icmp.type', 'icmpv6.type', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4'];
const TSHARK_FIELDS = [...FIELDS, 'ieee8021ad.id'];

/** tshark's row with the 802.1ad tag prepended to vlan.id, outermost first as ours. */
function theirs(line: string): string[] {
  const row = line.split('\t');
  const outer = row[FIELDS.length] ?? '';
  const vlan = FIELDS.indexOf('vlan.id');
  row[vlan] = [outer, row[vlan]].filter((v) => v).join(',');
  return row.slice(0, FIELDS.length);
}

/** Our parse, in tshark's field notation. */
function ours(frame: Uint8Array): string[] {
  const f = parseFrame(frame);
  const ip = f.ip;
  const v4 = ip?.version === 4 ? ip : undefined;
  const v6 = ip?.version === 6 ? ip : undefined;
  const s = (x: number | string | undefined) => (x === undefined ? '' : String(x));
  return [
    s(f.eth?.src), s(f.eth?.dst), f.vlans.join(','),
    s(v4?.src), s(v4?.dst), s(v4?.ttl), s(v6?.src), s(v6?.dst), s(v6?.ttl),
    s(f.tcp?.srcPort), s(f.tcp?.dstPort), f.tcp ? `0x${f.tcp.flags.toString(16).padStart(4, '0')}` : '',
    s(f.udp?.srcPort), s(f.udp?.dstPort),
    v4 && f.icmp ? s(f.icmp.type) : '', v6 && f.icmp ? s(f.icmp.type) : '',
    s(f.arp?.senderIp), s(f.arp?.targetIp),
  ];
}

test('tshark decodes the same headers from the same bytes', async (t) => {
  const tshark = await execa('tshark', ['-v'], { reject: false });
  if (!prerequisite(t, tshark.exitCode === 0, 'tshark')) return;
  const A = '02:00:00:00:00:0a';
  const B = '02:00:00:00:00:0b';
  const edge = [
    ethernet({ src: A, dst: B, type: ETH_IPV4, vlans: [200, 300] }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: PROTO_UDP, ttl: 9 }, udp({ srcPort: 5353, dstPort: 53 }))),
    ethernet({ src: A, dst: B, type: ETH_IPV4 }, ipv4({ src: '10.0.0.1', dst: '224.0.0.22', protocol: PROTO_TCP, options: Uint8Array.of(0x94, 4, 0, 0) }, tcp({ srcPort: 1, dstPort: 2, flags: 0x1ff }))),
    ethernet({ src: A, dst: B, type: ETH_IPV4 }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: PROTO_UDP, moreFragments: true }, udp({ srcPort: 9, dstPort: 10 }, new Uint8Array(64)))),
    ethernet({ src: A, dst: B, type: ETH_IPV4 }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: PROTO_ICMP }, icmp({ type: 3, code: 1 }))),
    ethernet({ src: A, dst: B, type: ETH_IPV6, vlans: [7] }, ipv6({ src: 'fd00::1', dst: '2001:db8::25', protocol: PROTO_TCP, hopLimit: 3, extensions: [{ type: 0, body: new Uint8Array(6) }, { type: 60, body: new Uint8Array(14) }] }, tcp({ srcPort: 5000, dstPort: 25, flags: 0x012 }))),
    ethernet({ src: A, dst: B, type: ETH_IPV6 }, ipv6({ src: 'fe80::1', dst: 'ff02::1:ff00:2', protocol: PROTO_ICMPV6, hopLimit: 255 }, icmp({ type: 135, code: 0 }, new Uint8Array(16)))),
  ];
  const generated = generateTraffic({ seed: 21, flows: 300 }).flatMap((f) => (f.kind === 'flow.start' ? [f.frame] : []));
  const frames = [...edge, ...generated];
  const dir = await scratchDir(t);
  const file = join(dir, 'frames.pcap');
  await writeFile(file, pcap(frames));
  const r = await execa('tshark', ['-r', file, '-n', '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=,', ...TSHARK_FIELDS.flatMap((f) => ['-e', f])], { timeout: 60_000 });
  const lines = r.stdout.split('\n');
  t.is(lines.length, frames.length);
  let agreed = 0;
  frames.forEach((frame, i) => {
    const decoded = theirs(lines[i]!);
    const mine = ours(frame);
    const differing = FIELDS.filter((_, k) => (decoded[k] ?? '') !== mine[k]);
    if (differing.length === 0) agreed++;
    else t.fail(`frame ${i}: ${differing.map((f) => `${f} tshark=${decoded[FIELDS.indexOf(f)]} ours=${mine[FIELDS.indexOf(f)]}`).join('; ')}`);
  });
  t.is(agreed, frames.length);
});
