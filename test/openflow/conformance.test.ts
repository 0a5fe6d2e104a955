// Conformance on data nobody here wrote: all 104 messages of Ryu's OF1.3 corpus decode,
// agree with Ryu's JSON in every field it gives (exclusions in compare.ts, with reasons),
// and encode back byte for byte.
import test from 'ava';
import { decodeMessage, encodeMessage } from '../../openflow/index.ts';
import { differences, EXCLUSIONS } from './compare.ts';
import { loadCorpus } from './corpus.ts';
import { toRyu } from './ryu-layout.ts';

const corpus = loadCorpus();

test('the corpus is all there: 104 messages covering all 30 message types', (t) => {
  t.is(corpus.length, 104);
  t.is(new Set(corpus.map((c) => c.bytes[1])).size, 30);
});

test('exclusions are few and explained', (t) => {
  t.true(EXCLUSIONS.length <= 4);
  for (const e of EXCLUSIONS) {
    t.true(e.reason.length > 20);
    t.log(`${e.ryuClass}: compared ${e.compared.join(', ') || 'nothing'}; ${e.reason}`);
  }
});

for (const entry of corpus) {
  test(`conformance: ${entry.name}`, (t) => {
    const r = decodeMessage(entry.bytes);
    if (!r.ok) return t.fail(`decode failed: ${r.error.code} ${r.error.message}`);
    t.deepEqual(differences(entry.ryu, toRyu(r.message)), [], 'every field Ryu gives agrees');
    t.deepEqual(encodeMessage(r.message), entry.bytes, 're-encodes byte for byte');
  });
}
