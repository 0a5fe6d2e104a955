// tshark's OpenFlow dissector reads every message our encoder produces for the corpus (and
// a set built in code) without "Malformed" or expert warnings/errors. tshark itself flags 5
// corpus messages (see the corpus README), so the encoder is judged relative to the input.
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { decodeMessage, encodeMessage } from '../../openflow/index.ts';
import { prerequisite } from '../support/ci.ts';
import { loadCorpus } from './corpus.ts';
import { pcapOf } from './pcap.ts';
import { built } from './samples.ts';

const corpus = loadCorpus();
const TSHARK_FLAGS_ITSELF = [
  '4-15-ofp_error_msg.packet', '4-45-ofp_meter_mod.packet', '4-62-ofp_experimenter_reply.packet',
  'libofproto-OFP13-error_msg.packet', 'libofproto-OFP13-packet_in.packet',
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
