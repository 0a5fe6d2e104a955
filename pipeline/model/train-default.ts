// Produces the shipped default model (pipeline/model/default/) from the project's own
// traffic generator: `node pipeline/model/train-default.ts`. Raw-mode events are fine here:
// the generator's addresses are synthetic, and features never read addresses anyway.
import { rename, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createPipeline } from '../pipeline.ts';
import { generateTraffic } from '../traffic-generator.ts';
import { trainAutoencoder } from '../train.ts';
import { storeModel } from '../model-files.ts';
import { join, dirname } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const pipeline = await createPipeline({ privacy: 'raw', vectorize: false });
const facts = generateTraffic({ seed: 20260105, flows: 20_000 });
const events = (await pipeline.process(facts)).map((o) => o.event);
await pipeline.close();
const files = await trainAutoencoder(events, { seed: 7, epochs: 40, source: 'pipeline/traffic-generator.ts seed 20260105, 20000 flows', log: (m) => console.log(m) });
// Store by id in a scratch directory, then move into place as default/.
const scratch = join(here, '.train');
await rm(scratch, { recursive: true, force: true });
const id = await storeModel(scratch, files);
await rm(join(here, 'default'), { recursive: true, force: true });
await rename(join(scratch, id), join(here, 'default'));
await rm(scratch, { recursive: true, force: true });
console.log(`default model ${id} written to ${join(here, 'default')}`);
