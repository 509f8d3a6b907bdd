/**
 * Builds the Baileys transport the gateway runs with, from the environment configuration.
 * `container.ts` calls this (lazily, so only the Baileys branch loads Baileys); tests call it too,
 * adding only the knobs a loopback simulator needs (its media CA, shorter timeouts).
 *
 * What the gateway wires in:
 * - `waWebSocketUrl` from WA_WEBSOCKET_URL (Baileys' default when unset; in loopback-only mode —
 *   WARDEN_TEST=1 — an explicit loopback URL is required).
 * - `mediaDir` from MEDIA_DIR. Inbound media bytes travel in the `message` event and the inbound
 *   service stores them under MEDIA_DIR (`LocalMediaStore`), so no file is written twice.
 * - The `baileys` module logger (JSON, redacted); Baileys' own chatter is passed on from `warn` up.
 * - `getMessage` (retry receipts): deliberately not given. The message store that can answer a
 *   retry is the transport's own copy of every sent message — the exact `proto.Message` that was
 *   encrypted, with its media keys, kept in `baileys_auth` (category `sent-message`, same
 *   database, 72 h, pruned). Warden's message log keeps the text and metadata only; rebuilding a
 *   protobuf from it would hand WhatsApp a different message (or a placeholder) under the same id.
 *   The transport answers from that copy or returns `undefined`, never a placeholder.
 * - The terminal QR in development: printed to stdout as QR art (not a log line, not the raw
 *   payload) when NODE_ENV is not `production`, or with LOG_LEVEL=debug; never in tests.
 * - The signature self-test: runs here, at start-up. If strict verification of the server's
 *   certificate chain cannot be installed, this throws and the server refuses to start.
 */
import type { Knex } from 'knex';
import type { Config } from '../../config/config.ts';
import { moduleLogger } from '../../lib/logger.ts';
import { BaileysTransport, type BaileysTransportOptions } from './baileys-transport.ts';
import { SignatureVerificationError } from './signature-self-test.ts';

type Env = Record<string, string | undefined>;

/** QR art in the terminal: development, or LOG_LEVEL=debug; never under test. */
export function shouldPrintQrInTerminal(config: Pick<Config, 'logLevel'>, env: Env = process.env): boolean {
  if (env.WARDEN_TEST === '1' || env.NODE_ENV === 'test') return false;
  return env.NODE_ENV !== 'production' || config.logLevel === 'debug';
}

/** The transport options the gateway derives from its configuration. */
export function baileysOptionsFromConfig(
  config: Readonly<Config>,
  db: Knex,
  env: Env = process.env,
): BaileysTransportOptions {
  return {
    db,
    mediaDir: config.mediaDir,
    waWebSocketUrl: config.waWebSocketUrl ?? undefined,
    logger: moduleLogger('baileys'),
    printQrInTerminal: shouldPrintQrInTerminal(config, env),
    // Shorter than SEND_DEADLINE, so a claim or reservation is never given up while a send may still finish.
    sendTimeoutMs: config.transportSendTimeoutMs,
    // getMessage: answered by the transport's sent-message store (see above)
  };
}

export class BaileysStartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BaileysStartupError';
  }
}

/**
 * The gateway's Baileys transport, start-up checks done (signature verification, loopback URL
 * in test mode). Throws `BaileysStartupError` with an operator-facing message otherwise.
 */
export function createBaileysTransport(
  config: Readonly<Config>,
  db: Knex,
  overrides: Partial<BaileysTransportOptions> = {},
  env: Env = process.env,
): BaileysTransport {
  const transport = new BaileysTransport({ ...baileysOptionsFromConfig(config, db, env), ...overrides });
  try {
    transport.init();
  } catch (error) {
    const reason = (error as Error).message.replace(/[;,]?\s*refusing to start[^;]*$/i, '');
    if (error instanceof SignatureVerificationError) {
      throw new BaileysStartupError(
        `refusing to start the Baileys transport: WhatsApp server certificates cannot be verified strictly (${reason}). ` +
          'Install a Baileys/libsignal combination whose Curve.verify rejects forged signatures, or run with TRANSPORT=sandbox.',
        { cause: error },
      );
    }
    throw new BaileysStartupError(`refusing to start the Baileys transport: ${reason}`, { cause: error });
  }
  return transport;
}
