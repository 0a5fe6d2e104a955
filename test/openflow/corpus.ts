// The external OF1.3 corpus (Ryu's test data, see ../shared/conformance/of13/README.md),
// read in place. Ryu's JSON holds integers above 2^53 (e.g. 64-bit masks), so it is parsed
// keeping their exact value as bigint.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CORPUS_DIR = fileURLToPath(new URL('../../../shared/conformance/of13/', import.meta.url));

export interface CorpusEntry {
  name: string;
  bytes: Buffer;
  ryu: Record<string, unknown>;
}

function parseExact(text: string): unknown {
  return JSON.parse(text, (_key, value, context?: { source?: string }) =>
    typeof value === 'number' && !Number.isSafeInteger(value) && context?.source && /^-?\d+$/.test(context.source)
      ? BigInt(context.source)
      : value,
  );
}

export function loadCorpus(): CorpusEntry[] {
  const files = readdirSync(`${CORPUS_DIR}packets`).filter((f) => f.endsWith('.packet')).sort();
  return files.map((name) => ({
    name,
    bytes: readFileSync(`${CORPUS_DIR}packets/${name}`),
    ryu: parseExact(readFileSync(`${CORPUS_DIR}json/${name}.json`, 'utf8')) as Record<string, unknown>,
  }));
}

/** All corpus messages back to back: one byte stream, as a switch would send it. */
export function corpusStream(corpus: CorpusEntry[]): Buffer {
  return Buffer.concat(corpus.map((c) => c.bytes));
}
