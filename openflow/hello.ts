// Version negotiation helpers (spec 6.3.1): the versions a HELLO offers, and the bitmap
// element that offers a set of versions.
import type { Hello, HelloElement } from './types.ts';

/** The versions a HELLO offers: its bitmap if it has one, else just its header version. */
export function helloVersions(hello: Hello): number[] {
  const element = hello.elements.find((e) => e.type === 'VERSIONBITMAP');
  if (element === undefined || element.type !== 'VERSIONBITMAP') return [hello.version];
  const out: number[] = [];
  element.bitmaps.forEach((bitmap, word) => {
    for (let bit = 0; bit < 32; bit++) if ((bitmap >>> bit) & 1) out.push(word * 32 + bit);
  });
  return out;
}

/** A VERSIONBITMAP element offering exactly `versions`. */
export function versionBitmap(versions: number[]): HelloElement {
  const bitmaps = Array<number>(Math.floor(Math.max(0, ...versions) / 32) + 1).fill(0);
  for (const v of versions) bitmaps[v >>> 5] = (bitmaps[v >>> 5]! | (1 << (v & 31))) >>> 0;
  return { type: 'VERSIONBITMAP', bitmaps };
}
