// OpenFlow codec rates: decode and encode of PACKET_IN, FLOW_MOD and a FLOW multipart reply
// (corpus messages), plus the controller's per-packet-in reply (FLOW_MOD + PACKET_OUT into
// one reusable writer). Each case runs for about a second of CPU time after a warm-up.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  BufferWriter, decodeMessage, encodeInto, OFP_NO_BUFFER, OFPP,
  type FlowMod, type OfpMessage, type PacketOut,
} from '../openflow/index.ts';

const corpusDir = fileURLToPath(new URL('../../shared/conformance/of13/packets/', import.meta.url));
function corpusMessage(name: string): { bytes: Buffer; message: OfpMessage } {
  const bytes = readFileSync(corpusDir + name);
  const r = decodeMessage(bytes);
  if (!r.ok) throw new Error(`${name}: ${r.error.message}`);
  return { bytes, message: r.message };
}

/** Runs per second of this process's CPU time (user + system), so that time the shared
 *  machine gives to other processes does not count against the codec: a one-core rate. */
function rate(run: () => void): number {
  const batch = 10_000;
  for (let i = 0; i < 5; i++) for (let k = 0; k < batch; k++) run(); // warm-up
  let n = 0;
  const start = process.cpuUsage();
  let cpu = 0;
  while (cpu < 1e6) {
    for (let k = 0; k < batch; k++) run();
    n += batch;
    const used = process.cpuUsage(start);
    cpu = used.user + used.system;
  }
  return (n * 1e6) / cpu;
}

const w = new BufferWriter(1 << 20);
function encodeRate(messages: OfpMessage[]): number {
  return rate(() => {
    for (const m of messages) encodeInto(w, m);
    if (w.pos > 900_000) w.reset();
  });
}

const cases: [string, string][] = [
  ['PACKET_IN (OVS, in_port match, 64-byte frame)', 'libofproto-OFP13-packet_in.packet'],
  ['PACKET_IN (9-field ARP match)', '4-4-ofp_packet_in.packet'],
  ['FLOW_MOD (libofproto, 7 OXM, 2 instructions)', 'libofproto-OFP13-flow_mod.packet'],
  ['MULTIPART_REPLY FLOW (1 entry)', '4-12-ofp_flow_stats_reply.packet'],
];

const flowMod: FlowMod = {
  type: 'FLOW_MOD', xid: 1, cookie: 0n, cookie_mask: 0n, table_id: 0, command: 0, idle_timeout: 10,
  hard_timeout: 0, priority: 100, buffer_id: OFP_NO_BUFFER, out_port: OFPP.ANY, out_group: 0xffffffff, flags: 1,
  match: [{ field: 'in_port', value: 1 }, { field: 'eth_src', value: '02:00:00:00:00:01' }, { field: 'eth_dst', value: '02:00:00:00:00:02' }],
  instructions: [{ type: 'APPLY_ACTIONS', actions: [{ type: 'OUTPUT', port: 2, max_len: 0 }] }],
};
const packetOut: PacketOut = {
  type: 'PACKET_OUT', xid: 2, buffer_id: OFP_NO_BUFFER, in_port: 1,
  actions: [{ type: 'OUTPUT', port: 2, max_len: 0 }], data: Buffer.alloc(64),
};

const rows: [string, string, string, string][] = [];
for (const [label, file] of cases) {
  const { bytes, message } = corpusMessage(file);
  const dec = rate(() => decodeMessage(bytes));
  const enc = encodeRate([message]);
  rows.push([label, String(bytes.length), `${(dec / 1e6).toFixed(2)} M/s`, `${(enc / 1e6).toFixed(2)} M/s`]);
}
const pair = encodeRate([flowMod, packetOut]);
rows.push(['FLOW_MOD + PACKET_OUT reply pair (per pair)', '', '', `${(pair / 1e6).toFixed(2)} M/s`]);

const head: [string, string, string, string] = ['message', 'bytes', 'decode', 'encode'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(line(head));
console.log(`|${widths.map((n) => '-'.repeat(n + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
