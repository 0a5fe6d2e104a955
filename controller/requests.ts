// Requests to one switch, tracked by xid: each waits for its reply (or an OFPT_ERROR with
// the same xid) with a time limit, and multipart replies flagged REPLY_MORE are gathered
// until the last part. Closing rejects whatever is still waiting, and clears every timer.
import type { ErrorMsg, MultipartReply, OfpMessage } from '../openflow/index.ts';
import { OFPMPF_MORE } from '../openflow/index.ts';

export class RequestError extends Error {
  readonly error?: ErrorMsg;
  constructor(message: string, error?: ErrorMsg) {
    super(message);
    this.name = 'RequestError';
    this.error = error;
  }
}

interface Pending {
  resolve(reply: OfpMessage[]): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
  parts: OfpMessage[];
  what: string;
}

export class Requests {
  private readonly pending = new Map<number, Pending>();
  private nextXid = 1;

  /** A fresh xid (never 0: unsolicited messages from the policy use 0). */
  xid(): number {
    const x = this.nextXid;
    this.nextXid = this.nextXid >= 0xfffffffe ? 1 : this.nextXid + 1;
    return x;
  }

  /**
   * Registers a request about to be sent with `xid`; resolves with its reply, or with all
   * parts of a multipart reply in order.
   */
  expect(xid: number, what: string, timeoutMs: number): Promise<OfpMessage[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(xid);
        reject(new RequestError(`${what} (xid ${xid}): no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(xid, { resolve, reject, timer, parts: [], what });
    });
  }

  /** Offers a message from the switch; true when it answered a tracked request. */
  settle(msg: OfpMessage): boolean {
    const p = this.pending.get(msg.xid);
    if (!p) return false;
    if (msg.type === 'ERROR') {
      this.finish(msg.xid, p);
      p.reject(new RequestError(`${p.what} (xid ${msg.xid}) failed: error type ${msg.err_type} code ${msg.code}`, msg));
      return true;
    }
    p.parts.push(msg);
    if (msg.type === 'MULTIPART_REPLY' && ((msg as MultipartReply).flags & OFPMPF_MORE) !== 0) return true;
    this.finish(msg.xid, p);
    p.resolve(p.parts);
    return true;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Rejects everything still waiting. */
  close(reason: string): void {
    for (const [xid, p] of this.pending) {
      this.finish(xid, p);
      p.reject(new RequestError(`${p.what} (xid ${xid}): ${reason}`));
    }
  }

  private finish(xid: number, p: Pending): void {
    clearTimeout(p.timer);
    this.pending.delete(xid);
  }
}

/** The bodies of a multipart reply's parts, concatenated. */
export function multipartBodies<T>(parts: OfpMessage[]): T[] {
  const out: T[] = [];
  for (const p of parts) if (p.type === 'MULTIPART_REPLY' && Array.isArray(p.body)) out.push(...(p.body as T[]));
  return out;
}
