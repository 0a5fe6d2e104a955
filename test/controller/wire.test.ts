import test from 'ava';
import { EncodeError, decodeMessage, encodeMessage } from '../../openflow/index.ts';
import type { OfpMessage } from '../../openflow/index.ts';
import { Wire } from '../../controller/wire.ts';

const echo = (xid: number): OfpMessage => ({ type: 'ECHO_REQUEST', xid, data: new Uint8Array([xid]) });
// 70,000 bytes of data do not fit a message's 16-bit length.
const tooLong: OfpMessage = { type: 'ECHO_REQUEST', xid: 2, data: new Uint8Array(70_000) };

test('a batch that fails to encode leaves nothing behind for the next one', (t) => {
  const wire = new Wire();
  t.throws(() => wire.encode([echo(1), tooLong]), { instanceOf: EncodeError });
  const next = wire.encode([echo(3)]);
  t.deepEqual(next, encodeMessage(echo(3)));
  const decoded = decodeMessage(next);
  t.true(decoded.ok && decoded.message.xid === 3);
});
