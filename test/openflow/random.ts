// Seeded randomness for the openflow tests, so every run is reproducible from its seed. The
// generator is the pipeline's mulberry32 (one copy in the project).
import { seededRandom } from '../../pipeline/traffic-generator.ts';

export const rng = seededRandom;

export function randInt(r: () => number, n: number): number {
  return Math.floor(r() * n);
}
