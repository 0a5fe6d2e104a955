// `ghostbridge pseudonym` and `ghostbridge model train`, run as the real command.
import test from 'ava';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { scratchDir } from './scratch.ts';
import { assertValidEvents } from './schema.ts';
import { execa } from 'execa';
import { createPipeline, modelDirOf } from '../../pipeline/index.ts';
import { generateTraffic } from '../../pipeline/traffic-generator.ts';

const root = new URL('../../', import.meta.url).pathname;
const ghostbridge = (args: string[]) => execa(join(root, 'bin/ghostbridge'), args, { cwd: root, reject: false, timeout: 120_000 });
const conformanceKey = join(root, '../shared/conformance/cryptopan/key.hex');


test('pseudonym prints the pseudonyms the log would hold, and flags what is no address', async (t) => {
  const r = await ghostbridge(['pseudonym', '--key-file', conformanceKey, '128.11.68.132', '141.223.7.43', 'nonsense']);
  t.is(r.exitCode, 1);
  t.is(r.stdout, '128.11.68.132\t135.242.180.132\n141.223.7.43\t141.167.8.160');
  t.regex(r.stderr, /nonsense: not an IPv4, IPv6 or MAC address/);
});

test('pseudonym agrees with the events of a pipeline using the same key file', async (t) => {
  const dir = await scratchDir(t);
  const keyFile = join(dir, 'site.key');
  const pipeline = await createPipeline({ keyFile, vectorize: false, log: () => {} });
  const key = generateTraffic({ seed: 1, flows: 1 })[0]!;
  if (key.kind !== 'flow.start') return t.fail('expected a start');
  const [start] = await pipeline.process([key]);
  const r = await ghostbridge(['pseudonym', '--key-file', keyFile, key.key.ipSrc!, key.key.ethSrc!]);
  t.is(r.exitCode, 0, r.stderr);
  t.is(r.stdout, `${key.key.ipSrc}\t${start!.event.source!.ip}\n${key.key.ethSrc}\t${start!.event.source!.mac}`);
  const missing = await ghostbridge(['pseudonym', '--key-file', join(dir, 'none.key'), '10.0.0.1']);
  t.not(missing.exitCode, 0);
  t.regex(missing.stderr, /ENOENT|no such file/);
});

test('model train learns from an events.jsonl, stores the model by id, and the pipeline uses it', async (t) => {
  const dir = await scratchDir(t);
  const data = join(dir, 'data');
  const pipeline = await createPipeline({ key: new Uint8Array(32), vectorize: false });
  const events = (await pipeline.process(generateTraffic({ seed: 77, flows: 600 }))).map((o, seq) => ({ ...o.event, seq }));
  assertValidEvents(t, events);
  const log = join(dir, 'events.jsonl');
  await writeFile(log, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const r = await ghostbridge(['model', 'train', '--from', log, '--data', data, '--epochs', '3', '--use']);
  t.is(r.exitCode, 0, r.stderr);
  const id = /^model ([0-9a-f]{64})$/m.exec(r.stdout)?.[1] ?? '';
  t.regex(id, /^[0-9a-f]{64}$/, r.stdout);
  t.is((await readFile(join(modelDirOf(data), 'current'), 'utf8')).trim(), id);
  const trained = await createPipeline({ key: new Uint8Array(32), modelDir: modelDirOf(data) });
  t.is(trained.modelId, id);
  const out = await trained.process(generateTraffic({ seed: 78, flows: 10 }));
  t.true(out.every((o) => o.vector !== null && o.vector.length === 16));

  await writeFile(log, JSON.stringify(events[0]) + '\n{"broken\n');
  const bad = await ghostbridge(['model', 'train', '--from', log, '--data', data]);
  t.not(bad.exitCode, 0);
  t.regex(bad.stderr, /events\.jsonl:2: not JSON/);
});
