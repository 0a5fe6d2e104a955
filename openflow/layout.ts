// Fixed-size wire structs, described once as a field list. Each description yields a
// binary-parser Parser (compiled at module load) for decoding and a writer for encoding,
// so the two directions cannot drift apart. Variable-length parts (OXM, actions, lists)
// are walked by the callers, which check each length against its container first.
import { Parser } from 'binary-parser';
import { macToText, writeMac } from './addresses.ts';
import { EncodeError, type BufferWriter } from './buffer-writer.ts';
import { Malformed, need } from './malformed.ts';

/** `len16` is a struct's own 16-bit length: the list walker has already read it, so the
 *  decoder skips it, and the encoder writes a placeholder its caller patches. */
export type FieldKind = 'u8' | 'u16' | 'u32' | 'u64' | 'mac' | 'u32x2' | 'u32x4' | 'len16' | `str${number}` | `pad${number}`;
/** [spec field name, kind]; padding has an empty name. */
export type FieldSpec = readonly [string, FieldKind];

export interface Layout<T> {
  size: number;
  read(b: Uint8Array, off: number, end: number): T;
  write(w: BufferWriter, v: T): void;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A NUL-terminated fixed-size string field. Invalid UTF-8 is refused rather than replaced,
 *  so whatever decodes re-encodes to the same bytes. */
function fixedString(b: Uint8Array): string {
  const nul = b.indexOf(0);
  try {
    return utf8.decode(nul < 0 ? b : b.subarray(0, nul));
  } catch {
    throw new Malformed('BAD_BODY', `string field is not valid UTF-8: ${Buffer.from(b).toString('hex')}`);
  }
}

function buildParser(fields: readonly FieldSpec[]): Parser {
  let p = new Parser().endianness('big');
  for (const [name, kind] of fields) {
    if (kind === 'u8') p = p.uint8(name);
    else if (kind === 'u16') p = p.uint16(name);
    else if (kind === 'u32') p = p.uint32(name);
    else if (kind === 'u64') p = p.uint64(name);
    else if (kind === 'mac') p = p.buffer(name, { length: 6, formatter: (b: any) => macToText(b, 0) });
    else if (kind === 'u32x2') p = p.array(name, { type: 'uint32be', length: 2 });
    else if (kind === 'u32x4') p = p.array(name, { type: 'uint32be', length: 4 });
    else if (kind.startsWith('str')) p = p.buffer(name, { length: Number(kind.slice(3)), formatter: fixedString as any });
    else if (kind === 'len16') p = p.seek(2);
    else p = p.seek(Number(kind.slice(3)));
  }
  return p;
}

function sizeOf(kind: FieldKind): number {
  switch (kind) {
    case 'u8': return 1;
    case 'u16':
    case 'len16': return 2;
    case 'u32': return 4;
    case 'u64': return 8;
    case 'mac': return 6;
    case 'u32x2': return 8;
    case 'u32x4': return 16;
    default: return Number(kind.slice(3));
  }
}

function writeField(w: BufferWriter, kind: FieldKind, v: unknown, what: string, field: string): void {
  const name = (): string => `${what}.${field}`;
  switch (kind) {
    case 'u8': w.u8(v as number); return;
    case 'u16': w.u16(v as number); return;
    case 'u32': w.u32(v as number); return;
    case 'u64':
      if (typeof v !== 'bigint') throw new EncodeError(`${name()} must be a bigint, got ${typeof v}`);
      w.u64(v);
      return;
    case 'len16': w.u16(0); return;
    case 'mac': writeMac(w, v as string); return;
    case 'u32x2':
    case 'u32x4': {
      const n = kind === 'u32x2' ? 2 : 4;
      if (!Array.isArray(v) || v.length !== n) throw new EncodeError(`${name()} must be an array of ${n} numbers`);
      for (const x of v) w.u32(x);
      return;
    }
    default:
      if (kind.startsWith('pad')) w.zeros(sizeOf(kind));
      else {
        if (typeof v !== 'string') throw new EncodeError(`${name()} must be a string`);
        w.fixedString(v, sizeOf(kind));
      }
  }
}

export function layout<T>(what: string, fields: readonly FieldSpec[]): Layout<T> {
  // Nested one level down: binary-parser deletes `$parent`/`$root` from the top-level result,
  // which drops that object into slow dictionary mode; the nested object stays fast.
  const parser = new Parser().nest('s', { type: buildParser(fields) });
  parser.compile();
  const size = fields.reduce((n, [, k]) => n + sizeOf(k), 0);
  if (parser.sizeOf() !== size) throw new Error(`layout ${what}: size mismatch`);
  return {
    size,
    read(b, off, end) {
      need(off, size, end, what);
      return parser.parse(b.subarray(off, off + size)).s as T;
    },
    write(w, v) {
      const rec = v as Record<string, unknown>;
      for (let i = 0; i < fields.length; i++) {
        const [name, kind] = fields[i]!;
        writeField(w, kind, rec[name], what, name);
      }
    },
  };
}
