// Meter bands (ofp_meter_band_*), shared by METER_MOD and the METER_CONFIG reply.
import type { BufferWriter } from './buffer-writer.ts';
import { METER_BAND_TYPE, invert } from './constants.ts';
import { readList } from './list.ts';
import { Malformed } from './malformed.ts';
import * as S from './structs.ts';
import type { MeterBand } from './types.ts';

const SHAPE = { what: 'meter band', lengthAt: 2, minLength: 16, multipleOf8: true };
const BAND_NAME = invert(METER_BAND_TYPE);

export function readMeterBands(b: Buffer, off: number, end: number): MeterBand[] {
  return readList(b, off, end, SHAPE, (at, len): MeterBand => {
    const h = S.meterBandHead.read(b, at, at + len);
    const type = BAND_NAME.get(h.band_type);
    const base = { rate: h.rate, burst_size: h.burst_size };
    switch (type) {
      case 'DROP':
        if (len !== 16) break;
        return { type, ...base };
      case 'DSCP_REMARK':
        if (len !== 16) break;
        return { type, ...base, prec_level: b[at + 12]! };
      case 'EXPERIMENTER':
        return { type, ...base, experimenter: b.readUInt32BE(at + 12), data: b.subarray(at + 16, at + len) };
      default:
        throw new Malformed('BAD_TYPE', `unknown meter band type ${h.band_type} at offset ${at}`);
    }
    throw new Malformed('BAD_BODY', `${type} meter band length ${len}, expected 16`);
  });
}

export function writeMeterBands(w: BufferWriter, bands: MeterBand[]): void {
  for (const band of bands) {
    const start = w.pos;
    S.meterBandHead.write(w, { band_type: METER_BAND_TYPE[band.type], rate: band.rate, burst_size: band.burst_size });
    if (band.type === 'DSCP_REMARK') {
      w.u8(band.prec_level);
      w.zeros(3);
    } else if (band.type === 'EXPERIMENTER') {
      w.u32(band.experimenter);
      w.bytes(band.data);
      w.pad8(start);
    } else {
      w.zeros(4);
    }
    w.patchU16(start + 2, w.pos - start);
  }
}
