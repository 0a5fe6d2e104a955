// The controller with forwarding alone (facts handed to a consumer that does nothing), for
// bench/controller.bench.ts to measure against `ghostbridge run` with the full pipeline.
import pino from 'pino';
import { Controller, parseListen } from '../controller/index.ts';

const controller = new Controller({
  listen: [parseListen(process.argv[2] ?? 'tcp:127.0.0.1:6653')],
  log: pino({ level: 'warn' }),
  consumer: { consume: async () => {} },
  session: { statsIntervalMs: 0 },
});
await controller.start();
process.stdout.write('ghostbridge running\n');
process.once('SIGTERM', () => void controller.stop().then(() => process.exit(0)));
