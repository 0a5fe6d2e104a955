// Open vSwitch's own OpenFlow parser (`ovs-ofctl ofp-parse-pcap`, the code OVS uses on its
// controller connections) decodes every message the encoder builds, with no decode error.
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { encodeMessage } from '../../openflow/index.ts';
import { prerequisite } from '../support/ci.ts';
import { pcapOf } from './pcap.ts';
import { built } from './samples.ts';

/** OVS's printout per message: the text after each "addr.port > addr.port:" line. */
async function ovsParse(file: string): Promise<string[]> {
  const r = await execa('ovs-ofctl', ['ofp-parse-pcap', file], { timeout: 60_000 });
  return r.stdout.split(/^\S+ > \S+:\n/m).slice(1);
}

test('ovs-ofctl decodes every message built in code, each as its own type', async (t) => {
  const have = await execa('ovs-ofctl', ['--version'], { reject: false });
  if (!prerequisite(t, have.exitCode === 0, 'ovs-ofctl (openvswitch-common)')) return;
  const dir = await mkdtemp(join(tmpdir(), 'gb-ovsparse-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'built.pcap');
  await writeFile(file, pcapOf(built.map(encodeMessage)));
  const blocks = await ovsParse(file);
  t.is(blocks.length, built.length);
  const OVS_NAME: Partial<Record<string, RegExp>> = {
    MULTIPART_REQUEST: /^OFPST_\w+ request/, MULTIPART_REPLY: /^OFPST_\w+ reply/, ECHO_REPLY: /^OFPT_ECHO_REPLY/,
  };
  blocks.forEach((block, i) => {
    const type = built[i]!.type;
    t.notRegex(block, /decode error/i, `${type}: ${block}`);
    t.regex(block, OVS_NAME[type] ?? new RegExp(`^OFPT_${type}`), `${type} is read as itself`);
  });
  t.regex(blocks[5]!, /priority=100,tcp,in_port=1,nw_src=192\.168\.1\.0\/24,tp_dst=443/, 'the FLOW_MOD match as OVS reads it');
  t.regex(blocks[5]!, /cookie:0x1 idle:10 hard:30 send_flow_rem actions=push_vlan:0x8100,set_field:4106->vlan_vid,output:2,write_metadata:0x5\/0xff,goto_table:1/);
  t.regex(blocks[6]!, /actions=FLOOD data_len=42\narp,.*arp_spa=10\.0\.0\.1,arp_tpa=10\.0\.0\.2,arp_op=1/, 'the PACKET_OUT frame as OVS reads it');
});
