// `ghostbridge ofp-print` and `ofp-encode`, run as the real command over the whole corpus:
// ofp-print | ofp-encode is the identity on bytes, ofp-encode | ofp-print on JSON.
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { corpusStream, loadCorpus } from './corpus.ts';

const root = new URL('../../', import.meta.url).pathname;
const ghostbridge = (args: string[], input?: Buffer | string) =>
  execa(join(root, 'bin/ghostbridge'), args, {
    cwd: root, reject: false, timeout: 60_000, encoding: 'buffer', ...(input === undefined ? {} : { input }),
  });

const stream = corpusStream(loadCorpus());
// execa gives Uint8Array for encoding 'buffer'
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

test('ofp-print then ofp-encode gives back the corpus bytes; ofp-encode then ofp-print gives back the JSON', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gb-ofp-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'corpus.bin');
  await writeFile(file, stream);

  const printed = await ghostbridge(['ofp-print', file]);
  t.is(printed.exitCode, 0, text(printed.stderr));
  const json = text(printed.stdout);
  const lines = json.trim().split('\n');
  t.is(lines.length, 104);
  const packetIn = JSON.parse(lines.find((l) => l.includes('"PACKET_IN"'))!);
  t.is(typeof packetIn.cookie, 'string', 'bigints print as decimal strings');
  t.truthy(packetIn.match.find((f: { field: string; value: string }) => f.field === 'eth_dst' && /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(f.value)));

  const encoded = await ghostbridge(['ofp-encode'], json); // from stdin
  t.is(encoded.exitCode, 0, text(encoded.stderr));
  t.deepEqual(Buffer.from(encoded.stdout), stream, 'ofp-print | ofp-encode is the identity on bytes');

  const again = await ghostbridge(['ofp-print'], Buffer.from(encoded.stdout)); // from stdin
  t.is(text(again.stdout), json, 'ofp-encode | ofp-print is the identity on JSON');
});

test('bad input is reported with where it is, and the good messages still come out', async (t) => {
  const hello = '{"type":"HELLO","xid":1,"version":4,"elements":[{"type":"VERSIONBITMAP","bitmaps":[16]}]}';
  const input = [hello, '{"type":"FLOW_MOD","xid":2}', 'not json', '{"type":"ECHO_REQUEST","xid":3,"data":"zz"}', hello].join('\n');
  const r = await ghostbridge(['ofp-encode'], input);
  t.is(r.exitCode, 1);
  t.is(r.stdout.length, 32, 'the two good HELLOs are written');
  const err = text(r.stderr);
  t.regex(err, /line 2: FLOW_MOD: /);
  t.regex(err, /line 3: .*JSON/);
  t.regex(err, /line 4: data must be hex bytes/);

  const truncated = Buffer.concat([Buffer.from(r.stdout), Buffer.from([4, 2, 0, 16, 0])]);
  const p = await ghostbridge(['ofp-print'], truncated);
  t.is(p.exitCode, 1);
  t.is(text(p.stdout).trim().split('\n').length, 2);
  t.regex(text(p.stderr), /5 bytes at the end are an incomplete message/);

  const missing = await ghostbridge(['ofp-print', join(tmpdir(), 'gb-no-such-file.bin')]);
  t.is(missing.exitCode, 2);
  t.regex(text(missing.stderr), /cannot read .*ENOENT/);
});
