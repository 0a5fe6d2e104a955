// TABLE_FEATURES multipart bodies (ofp_table_features and its properties, spec 7.3.5.5).
import type { BufferWriter } from './buffer-writer.ts';
import { EncodeError } from './buffer-writer.ts';
import { readList } from './list.ts';
import { Malformed, need } from './malformed.ts';
import { OFPXMC_EXPERIMENTER } from './oxm.ts';
import * as S from './structs.ts';
import type { OxmId, TableFeatureProperty, TableFeatures, TypeId } from './types.ts';

type PropType = TableFeatureProperty['type'];
const PROP_CODE: Record<PropType, number> = {
  INSTRUCTIONS: 0, INSTRUCTIONS_MISS: 1, NEXT_TABLES: 2, NEXT_TABLES_MISS: 3,
  WRITE_ACTIONS: 4, WRITE_ACTIONS_MISS: 5, APPLY_ACTIONS: 6, APPLY_ACTIONS_MISS: 7,
  MATCH: 8, WILDCARDS: 10, WRITE_SETFIELD: 12, WRITE_SETFIELD_MISS: 13,
  APPLY_SETFIELD: 14, APPLY_SETFIELD_MISS: 15, EXPERIMENTER: 0xfffe, EXPERIMENTER_MISS: 0xffff,
};
const PROP_NAME = new Map(Object.entries(PROP_CODE).map(([k, v]) => [v, k as PropType]));

const TABLE = { what: 'table features', lengthAt: 0, minLength: S.tableFeatures.size, multipleOf8: true };
const PROPERTY = { what: 'table feature property', lengthAt: 2, minLength: 4, paddedTo8: true };
const ID = { what: 'instruction/action id', lengthAt: 2, minLength: 4 };

function readTypeIds(b: Buffer, off: number, end: number): TypeId[] {
  return readList(b, off, end, ID, (at, len) => ({ type: b.readUInt16BE(at), data: b.subarray(at + 4, at + len) }));
}

function readOxmIds(b: Buffer, off: number, end: number): OxmId[] {
  const out: OxmId[] = [];
  while (off < end) {
    need(off, 4, end, 'OXM id');
    const cls = b.readUInt16BE(off);
    const id: OxmId = { oxm_class: cls, oxm_field: b[off + 2]! >>> 1, hasmask: (b[off + 2]! & 1) === 1, length: b[off + 3]! };
    off += 4;
    if (cls === OFPXMC_EXPERIMENTER) {
      need(off, 4, end, 'experimenter OXM id');
      id.experimenter = b.readUInt32BE(off);
      off += 4;
    }
    out.push(id);
  }
  return out;
}

function readProperty(b: Buffer, at: number, len: number): TableFeatureProperty {
  const code = b.readUInt16BE(at);
  const type = PROP_NAME.get(code);
  const end = at + len;
  switch (type) {
    case 'INSTRUCTIONS':
    case 'INSTRUCTIONS_MISS':
      return { type, instruction_ids: readTypeIds(b, at + 4, end) };
    case 'NEXT_TABLES':
    case 'NEXT_TABLES_MISS':
      return { type, next_table_ids: Array.from(b.subarray(at + 4, end)) };
    case 'WRITE_ACTIONS':
    case 'WRITE_ACTIONS_MISS':
    case 'APPLY_ACTIONS':
    case 'APPLY_ACTIONS_MISS':
      return { type, action_ids: readTypeIds(b, at + 4, end) };
    case 'EXPERIMENTER':
    case 'EXPERIMENTER_MISS': {
      const h = S.experimenterHead.read(b, at + 4, end);
      return { type, experimenter: h.experimenter, exp_type: h.exp_type, data: b.subarray(at + 12, end) };
    }
    case undefined:
      throw new Malformed('BAD_TYPE', `unknown table feature property ${code} at offset ${at}`);
    default:
      return { type, oxm_ids: readOxmIds(b, at + 4, end) };
  }
}

export function readTableFeatures(b: Buffer, off: number, end: number): TableFeatures[] {
  return readList(b, off, end, TABLE, (at, len) => {
    return { ...S.tableFeatures.read(b, at, at + len), properties: readList(b, at + S.tableFeatures.size, at + len, PROPERTY, (p, plen) => readProperty(b, p, plen)) };
  });
}

function writeProperty(w: BufferWriter, p: TableFeatureProperty): void {
  const start = w.pos;
  const code = PROP_CODE[p.type];
  if (code === undefined) throw new EncodeError(`unknown table feature property ${JSON.stringify(p.type)}`);
  w.u16(code);
  w.u16(0);
  if ('instruction_ids' in p || 'action_ids' in p) {
    for (const id of 'instruction_ids' in p ? p.instruction_ids : p.action_ids) {
      w.u16(id.type);
      w.u16(4 + id.data.length);
      w.bytes(id.data);
    }
  } else if ('next_table_ids' in p) {
    for (const t of p.next_table_ids) w.u8(t);
  } else if ('oxm_ids' in p) {
    for (const id of p.oxm_ids) {
      w.u16(id.oxm_class);
      w.u8((id.oxm_field << 1) | (id.hasmask ? 1 : 0));
      w.u8(id.length);
      if (id.oxm_class === OFPXMC_EXPERIMENTER) w.u32(id.experimenter ?? 0);
    }
  } else {
    S.experimenterHead.write(w, p);
    w.bytes(p.data);
  }
  w.patchU16(start + 2, w.pos - start);
  w.pad8(start);
}

export function writeTableFeatures(w: BufferWriter, tables: TableFeatures[]): void {
  for (const t of tables) {
    const start = w.pos;
    S.tableFeatures.write(w, t);
    for (const p of t.properties) writeProperty(w, p);
    w.patchU16(start, w.pos - start);
  }
}
