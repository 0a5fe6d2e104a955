// tshark's OpenFlow dissector reads every message our encoder produces for the corpus (and
// a set built in code) without "Malformed" or expert warnings/errors. tshark itself flags 5
// corpus messages (see the corpus README), so the encoder is judged relative to the input.
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { decodeMessage, encodeMessage, errorCodes, OFP_NO_BUFFER, OFPP, type OfpMessage } from '../../openflow/index.ts';
import { prerequisite } from '../support/ci.ts';
import { loadCorpus } from './corpus.ts';
import { pcapOf } from './pcap.ts';

const corpus = loadCorpus();
const TSHARK_FLAGS_ITSELF = [
  '4-15-ofp_error_msg.packet', '4-45-ofp_meter_mod.packet', '4-62-ofp_experimenter_reply.packet',
  'libofproto-OFP13-error_msg.packet', 'libofproto-OFP13-packet_in.packet',
];

// who-has 10.0.0.2 tell 10.0.0.1, a broadcast ARP frame as a PACKET_OUT would carry it
const ARP_REQUEST = Buffer.from('ffffffffffff020000000001080600010800060400010200000000010a0000010000000000000a000002', 'hex');

const built: OfpMessage[] = [
  { type: 'HELLO', xid: 1, version: 4, elements: [{ type: 'VERSIONBITMAP', bitmaps: [0x10] }] },
  { type: 'FEATURES_REQUEST', xid: 2 },
  { type: 'SET_CONFIG', xid: 3, flags: 0, miss_send_len: 128 },
  { type: 'ROLE_REQUEST', xid: 4, role: 2, generation_id: 7n },
  { type: 'SET_ASYNC', xid: 5, packet_in_mask: [3, 0], port_status_mask: [7, 7], flow_removed_mask: [15, 0] },
  {
    type: 'FLOW_MOD', xid: 6, cookie: 1n, cookie_mask: 0n, table_id: 0, command: 0, idle_timeout: 10,
    hard_timeout: 30, priority: 100, buffer_id: OFP_NO_BUFFER, out_port: OFPP.ANY, out_group: 0xffffffff, flags: 1,
    match: [
      { field: 'in_port', value: 1 }, { field: 'eth_type', value: 0x0800 },
      { field: 'ipv4_src', value: '192.168.1.0', mask: '255.255.255.0' }, { field: 'ip_proto', value: 6 },
      { field: 'tcp_dst', value: 443 },
    ],
    instructions: [
      { type: 'WRITE_METADATA', metadata: 5n, metadata_mask: 0xffn },
      { type: 'APPLY_ACTIONS', actions: [
        { type: 'PUSH_VLAN', ethertype: 0x8100 },
        { type: 'SET_FIELD', field: { field: 'vlan_vid', value: 0x1000 | 10 } },
        { type: 'OUTPUT', port: 2, max_len: 0 },
      ] },
      { type: 'GOTO_TABLE', table_id: 1 },
    ],
  },
  { type: 'PACKET_OUT', xid: 7, buffer_id: OFP_NO_BUFFER, in_port: OFPP.CONTROLLER, actions: [{ type: 'OUTPUT', port: OFPP.FLOOD, max_len: 0 }], data: ARP_REQUEST },
  { type: 'GROUP_MOD', xid: 8, command: 0, group_type: 1, group_id: 3, buckets: [
    { weight: 1, watch_port: OFPP.ANY, watch_group: 0xffffffff, actions: [{ type: 'OUTPUT', port: 1, max_len: 0 }] },
    { weight: 2, watch_port: OFPP.ANY, watch_group: 0xffffffff, actions: [{ type: 'OUTPUT', port: 2, max_len: 0 }] },
  ] },
  { type: 'METER_MOD', xid: 9, command: 0, flags: 1, meter_id: 1, bands: [{ type: 'DROP', rate: 1000, burst_size: 0 }] },
  { type: 'MULTIPART_REQUEST', xid: 10, flags: 0, multipart_type: 'PORT_DESC', body: null },
  { type: 'MULTIPART_REQUEST', xid: 11, flags: 0, multipart_type: 'FLOW', body: { table_id: 0xff, out_port: OFPP.ANY, out_group: 0xffffffff, cookie: 0n, cookie_mask: 0n, match: [] } },
  { type: 'MULTIPART_REQUEST', xid: 12, flags: 0, multipart_type: 'PORT_STATS', body: { port_no: OFPP.ANY } },
  { type: 'BARRIER_REQUEST', xid: 13 },
  { type: 'ECHO_REPLY', xid: 14, data: Buffer.from('keepalive') },
  // refusing a peer without OpenFlow 1.3; HELLO_FAILED carries ASCII text (spec 7.4.4)
  { type: 'ERROR', xid: 15, ...errorCodes('HELLO_FAILED', 'INCOMPATIBLE'), data: Buffer.from('only OpenFlow 1.3 is spoken here') },
  // a refused request quotes the request's first bytes
  { type: 'ERROR', xid: 17, ...errorCodes('BAD_REQUEST', 'BAD_TYPE'), data: Buffer.from('04ff000800000011', 'hex') },
  { type: 'MULTIPART_REPLY', xid: 16, flags: 0, multipart_type: 'AGGREGATE', body: { packet_count: 10n, byte_count: 1000n, flow_count: 2 } },
];

async function flagged(dir: string, name: string, messages: Uint8Array[]): Promise<number[]> {
  const file = join(dir, name);
  await writeFile(file, pcapOf(messages));
  const r = await execa('tshark', [
    '-r', file, '-Y', '_ws.malformed || _ws.expert.severity >= 6291456', // warn (0x600000) and up
    '-T', 'fields', '-e', 'frame.number',
  ], { timeout: 60_000 });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

test('tshark finds nothing wrong in what the encoder writes that it does not find in the input', async (t) => {
  const have = await execa('tshark', ['--version'], { reject: false });
  if (!prerequisite(t, have.exitCode === 0, 'tshark')) return;
  const dir = await mkdtemp(join(tmpdir(), 'gb-tshark-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));

  const encoded = corpus.map((c) => {
    const r = decodeMessage(c.bytes);
    if (!r.ok) throw new Error(`${c.name}: ${r.error.message}`);
    return encodeMessage(r.message);
  });
  const names = (frames: number[]) => frames.map((n) => corpus[n - 1]!.name);
  const input = names(await flagged(dir, 'input.pcap', corpus.map((c) => c.bytes)));
  t.deepEqual(input.sort(), [...TSHARK_FLAGS_ITSELF].sort(), 'tshark flags the corpus as its README says');
  const output = names(await flagged(dir, 'encoded.pcap', encoded));
  t.deepEqual(output.filter((n) => !input.includes(n)), [], 'no new complaints about our encoding');

  t.deepEqual(await flagged(dir, 'built.pcap', built.map(encodeMessage)), [], 'messages built in code are clean');
  const dissected = await execa('tshark', ['-r', join(dir, 'built.pcap')]);
  t.is(dissected.stdout.match(/OpenFlow/g)?.length, built.length, 'each is dissected as OpenFlow');
});
