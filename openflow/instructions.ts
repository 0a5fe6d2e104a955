// Instructions (spec 7.2.4), attached to flow entries.
import { writeActions, readActions } from './actions.ts';
import { EncodeError, type BufferWriter } from './buffer-writer.ts';
import { INSTRUCTION_TYPE_CODE, INSTRUCTION_TYPE_NAME } from './constants.ts';
import { readList } from './list.ts';
import { Malformed } from './malformed.ts';
import type { Instruction } from './types.ts';

function expectLength(type: string, len: number, want: number): void {
  if (len !== want) throw new Malformed('BAD_BODY', `${type} instruction length ${len}, expected ${want}`);
}

function readInstruction(b: Buffer, off: number, len: number): Instruction {
  const code = b.readUInt16BE(off);
  const type = INSTRUCTION_TYPE_NAME.get(code);
  switch (type) {
    case undefined:
      throw new Malformed('BAD_TYPE', `unknown instruction type ${code} at offset ${off}`);
    case 'GOTO_TABLE':
      expectLength(type, len, 8);
      return { type, table_id: b[off + 4]! };
    case 'WRITE_METADATA':
      expectLength(type, len, 24);
      return { type, metadata: b.readBigUInt64BE(off + 8), metadata_mask: b.readBigUInt64BE(off + 16) };
    case 'WRITE_ACTIONS':
    case 'APPLY_ACTIONS':
      return { type, actions: readActions(b, off + 8, off + len) };
    case 'CLEAR_ACTIONS':
      expectLength(type, len, 8);
      return { type };
    case 'METER':
      expectLength(type, len, 8);
      return { type, meter_id: b.readUInt32BE(off + 4) };
    case 'EXPERIMENTER':
      return { type, experimenter: b.readUInt32BE(off + 4), data: b.subarray(off + 8, off + len) };
  }
}

const SHAPE = { what: 'instruction', lengthAt: 2, minLength: 8, multipleOf8: true };

/** Decode the instruction list filling [off, end). */
export function readInstructions(b: Buffer, off: number, end: number): Instruction[] {
  return readList(b, off, end, SHAPE, (at, len) => readInstruction(b, at, len));
}

function writeInstruction(w: BufferWriter, ins: Instruction): void {
  const start = w.pos;
  const code = INSTRUCTION_TYPE_CODE[ins.type];
  if (code === undefined) throw new EncodeError(`unknown instruction type ${JSON.stringify(ins.type)}`);
  w.u16(code);
  w.u16(0);
  switch (ins.type) {
    case 'GOTO_TABLE':
      w.u8(ins.table_id);
      w.zeros(3);
      break;
    case 'WRITE_METADATA':
      w.zeros(4);
      w.u64(ins.metadata);
      w.u64(ins.metadata_mask);
      break;
    case 'WRITE_ACTIONS':
    case 'APPLY_ACTIONS':
      w.zeros(4);
      writeActions(w, ins.actions);
      break;
    case 'CLEAR_ACTIONS':
      w.zeros(4);
      break;
    case 'METER':
      w.u32(ins.meter_id);
      break;
    case 'EXPERIMENTER':
      w.u32(ins.experimenter);
      w.bytes(ins.data);
      w.pad8(start);
      break;
  }
  w.patchU16(start + 2, w.pos - start);
}

export function writeInstructions(w: BufferWriter, list: Instruction[]): void {
  for (let i = 0; i < list.length; i++) writeInstruction(w, list[i]!);
}
