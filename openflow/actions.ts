// Actions (spec 7.2.5): a list of TLVs, each a multiple of 8 bytes.
import { EncodeError, type BufferWriter } from './buffer-writer.ts';
import { ACTION_TYPE_CODE, ACTION_TYPE_NAME } from './constants.ts';
import { readList } from './list.ts';
import { Malformed } from './malformed.ts';
import { readOxm, writeOxm } from './oxm.ts';
import type { Action } from './types.ts';

/** The bodies of the fixed-size actions: which spec field sits in the bytes after type/len. */
const FIXED: Record<string, { size: number; field?: string; width?: 1 | 2 | 4 }> = {
  COPY_TTL_OUT: { size: 8 }, COPY_TTL_IN: { size: 8 }, DEC_MPLS_TTL: { size: 8 },
  POP_VLAN: { size: 8 }, DEC_NW_TTL: { size: 8 }, POP_PBB: { size: 8 },
  SET_MPLS_TTL: { size: 8, field: 'mpls_ttl', width: 1 },
  SET_NW_TTL: { size: 8, field: 'nw_ttl', width: 1 },
  PUSH_VLAN: { size: 8, field: 'ethertype', width: 2 },
  PUSH_MPLS: { size: 8, field: 'ethertype', width: 2 },
  POP_MPLS: { size: 8, field: 'ethertype', width: 2 },
  PUSH_PBB: { size: 8, field: 'ethertype', width: 2 },
  SET_QUEUE: { size: 8, field: 'queue_id', width: 4 },
  GROUP: { size: 8, field: 'group_id', width: 4 },
};

function readAction(b: Buffer, off: number, len: number): Action {
  const code = b.readUInt16BE(off);
  const type = ACTION_TYPE_NAME.get(code);
  switch (type) {
    case undefined:
      throw new Malformed('BAD_TYPE', `unknown action type ${code} at offset ${off}`);
    case 'OUTPUT':
      if (len !== 16) throw new Malformed('BAD_BODY', `OUTPUT action length ${len}, expected 16`);
      return { type, port: b.readUInt32BE(off + 4), max_len: b.readUInt16BE(off + 8) };
    case 'SET_FIELD': {
      const field = readOxm(b, off + 4, off + len);
      if (8 + b[off + 7]! > len) throw new Malformed('BAD_BODY', `SET_FIELD action length ${len} is shorter than its OXM`);
      return { type, field };
    }
    case 'EXPERIMENTER':
      return { type, experimenter: b.readUInt32BE(off + 4), data: b.subarray(off + 8, off + len) };
    default: {
      const spec = FIXED[type]!;
      if (len !== spec.size) throw new Malformed('BAD_BODY', `${type} action length ${len}, expected ${spec.size}`);
      if (spec.field === undefined) return { type } as Action;
      const v = spec.width === 1 ? b[off + 4]! : spec.width === 2 ? b.readUInt16BE(off + 4) : b.readUInt32BE(off + 4);
      return { type, [spec.field]: v } as Action;
    }
  }
}

const SHAPE = { what: 'action', lengthAt: 2, minLength: 8, multipleOf8: true };

/** Decode the action list filling [off, end). */
export function readActions(b: Buffer, off: number, end: number): Action[] {
  return readList(b, off, end, SHAPE, (at, len) => readAction(b, at, len));
}

export function writeAction(w: BufferWriter, a: Action): void {
  const start = w.pos;
  const code = ACTION_TYPE_CODE[a.type];
  if (code === undefined) throw new EncodeError(`unknown action type ${JSON.stringify(a.type)}`);
  w.u16(code);
  w.u16(0);
  switch (a.type) {
    case 'OUTPUT':
      w.u32(a.port);
      w.u16(a.max_len);
      w.zeros(6);
      break;
    case 'SET_FIELD':
      writeOxm(w, a.field);
      w.pad8(start);
      break;
    case 'EXPERIMENTER':
      w.u32(a.experimenter);
      w.bytes(a.data);
      w.pad8(start);
      break;
    default: {
      const spec = FIXED[a.type]!;
      if (spec.field === undefined) {
        w.zeros(4);
        break;
      }
      const v = (a as unknown as Record<string, number>)[spec.field]!;
      if (spec.width === 1) w.u8(v);
      else if (spec.width === 2) w.u16(v);
      else w.u32(v);
      w.zeros(4 - spec.width!);
    }
  }
  w.patchU16(start + 2, w.pos - start);
}

export function writeActions(w: BufferWriter, actions: Action[]): void {
  for (let i = 0; i < actions.length; i++) writeAction(w, actions[i]!);
}
