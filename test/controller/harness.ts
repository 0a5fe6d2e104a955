// Runs a real controller in the test process on an ephemeral port, recording every fact it
// delivers and every log line it writes.
import pino from 'pino';
import { Controller, type ControllerOptions } from '../../controller/index.ts';
import type { FlowFact } from '../../pipeline/facts.ts';
import { parseListen } from '../../controller/index.ts';
import { sleep } from '../support/ovs.ts';

export interface Running {
  controller: Controller;
  facts: FlowFact[];
  logs: Record<string, unknown>[];
  /** "tcp:127.0.0.1:PORT" of the first listener, for ovs-vsctl set-controller. */
  target: string;
  stop(): Promise<void>;
}

export async function startController(opts: Partial<Omit<ControllerOptions, 'log' | 'consumer'>> & { consume?: (facts: FlowFact[]) => Promise<void> } = {}): Promise<Running> {
  const facts: FlowFact[] = [];
  const logs: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const controller = new Controller({
    listen: opts.listen ?? [parseListen('tcp:127.0.0.1:0')],
    tls: opts.tls,
    log,
    session: { echoIntervalMs: 1_000, statsIntervalMs: 1_000, requestTimeoutMs: 5_000, ...opts.session },
    consumer: {
      consume: async (batch) => {
        facts.push(...batch);
        if (opts.consume) await opts.consume(batch);
      },
    },
  });
  await controller.start();
  const b = controller.bound[0];
  const host = b.host.includes(':') ? `[${b.host}]` : b.host;
  return { controller, facts, logs, target: `${b.protocol}:${host}:${b.port}`, stop: () => controller.stop() };
}

/** Polls `check` every 50 ms until it is truthy or `ms` pass (then throws `what`). */
export async function until<T>(check: () => T | Promise<T>, ms: number, what: string): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}
