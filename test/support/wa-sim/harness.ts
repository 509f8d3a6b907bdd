/** Builds a BaileysTransport wired to a simulator for tests (loopback only, fast timeouts). */
import type { Knex } from 'knex';
import { BaileysTransport, type BaileysTransportOptions } from '../../../src/transport/baileys/baileys-transport.ts';
import type { WinstonLike } from '../../../src/transport/baileys/baileys-logger.ts';
import { EventRecorder } from './event-recorder.ts';
import type { WaSimulator } from './simulator.ts';

/** WhatsApp Web version announced in tests (never fetched from the network). */
export const TEST_WA_VERSION: [number, number, number] = [2, 3000, 1043857760];

/** Collects log lines; set WA_TEST_LOG=1 to print them. */
export function testLogger(lines: string[] = []): WinstonLike & { lines: string[] } {
  const push = (level: string) => (message: string, meta?: Record<string, unknown>) => {
    const line = `${level} ${message} ${meta ? JSON.stringify(meta) : ''}`;
    lines.push(line);
    if (process.env.WA_TEST_LOG === '1') {
      process.stderr.write(`${line}\n`);
    }
  };
  return { lines, debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };
}

export function simTransport(
  sim: WaSimulator,
  db: Knex,
  overrides: Partial<BaileysTransportOptions> = {},
): { transport: BaileysTransport; events: EventRecorder; logger: ReturnType<typeof testLogger> } {
  const logger = testLogger();
  const transport = new BaileysTransport({
    db,
    logger,
    waWebSocketUrl: sim.url,
    mediaDir: '/nonexistent-warden-media',
    version: TEST_WA_VERSION,
    loopbackOnly: true,
    ...(sim.media ? { mediaTlsCa: sim.media.ca } : {}),
    defaultQueryTimeoutMs: 5_000,
    connectTimeoutMs: 5_000,
    sendTimeoutMs: 5_000,
    reconnect: { baseMs: 50, maxMs: 400 },
    ...overrides,
  });
  const events = new EventRecorder();
  transport.onEvent(events.listener);
  return { transport, events, logger };
}
