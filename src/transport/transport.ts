/**
 * The one boundary between Warden and WhatsApp. Policy, events and HTTP code talk to this
 * interface only; `transport/baileys/` is the only place allowed to import Baileys.
 *
 * A transport manages many instances (one WhatsApp number each). It reports everything that
 * happens through a single listener (`onEvent`), which the instance service turns into rows
 * and outbox events. Transports never touch the database tables of other features directly.
 */

/** The states of an instance (SPEC §5), in lifecycle order. The one definition. */
export const INSTANCE_STATES = ['qr_generated', 'connected', 'disconnected', 'expired', 'destroyed'] as const;
export type InstanceState = (typeof INSTANCE_STATES)[number];

/** What a sent medium can be. The one definition. */
export const MEDIA_TYPES = ['image', 'video', 'audio', 'document'] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];

/** What an inbound (or phone-typed) message can be. The one definition. */
export const MESSAGE_TYPES = [
  'text',
  'image',
  'video',
  'audio',
  'document',
  'sticker',
  'contact',
  'location',
  'unknown',
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export interface OutboundMedia {
  type: MediaType;
  mimeType: string;
  fileName?: string | undefined;
  data: Buffer;
}

export interface SendRequest {
  instanceId: string;
  /** E.164 with '+' for a person, or a group JID (`…@g.us`) for internal_team sends. */
  to: string;
  text: string;
  media?: OutboundMedia | undefined;
}

export interface SendResult {
  /** The WhatsApp message id. */
  messageId: string;
  /** Extra facts the transport learned (e.g. the recipient's LID). */
  recipientLid?: string | undefined;
}

/** Thrown by `send` when delivery to WhatsApp fails; becomes `gateway_send_failed`. */
export class TransportSendError extends Error {
  constructor(
    message: string,
    readonly reason: string,
    /** Seconds after which a retry may succeed (e.g. an instance failing over to another node). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'TransportSendError';
  }
}

export interface QrCode {
  /** Raw QR payload as WhatsApp produced it. */
  raw: string;
  /** When this QR stops being valid. */
  expiresAt: Date;
}

export interface InboundMention {
  jid: string;
  lid?: string | null | undefined;
  display?: string | null | undefined;
  start?: number | null | undefined;
  end?: number | null | undefined;
}

export interface InboundMediaInfo {
  /** Bytes already downloaded by the transport. */
  data: Buffer;
  mimeType: string;
  fileName?: string | null | undefined;
}

/** A message that arrived on (or was sent from the phone of) an instance, transport-neutral. */
export interface TransportMessage {
  messageId: string;
  /** true when sent by the instance's own phone (not through Warden). */
  fromMe: boolean;
  /** Sender, E.164 with '+' when the phone number is known. */
  from: string | null;
  fromLid?: string | null | undefined;
  /** Chat JID or E.164 for 1:1 chats. */
  chat: string;
  isGroup: boolean;
  pushName?: string | null | undefined;
  messageType: MessageType;
  text: string | null;
  mentions?: InboundMention[] | undefined;
  forwarded?: { isForwarded: boolean; score: number; frequentlyForwarded: boolean } | undefined;
  isViewOnce?: boolean | undefined;
  media?: InboundMediaInfo | undefined;
  contact?: { displayName: string | null; vcard: string | null } | undefined;
  location?:
    | { latitude: number; longitude: number; name?: string | null; address?: string | null }
    | undefined;
  timestamp: Date;
}

export type ReceiptStatus = 'delivered' | 'read' | 'played' | 'failed';

export type TransportEvent =
  | { type: 'qr'; instanceId: string; qr: QrCode }
  | { type: 'pairing_code'; instanceId: string; code: string }
  | { type: 'connected'; instanceId: string; phone: string | null; lid?: string | null }
  | { type: 'disconnected'; instanceId: string; reason: string; loggedOut: boolean; willReconnect: boolean }
  | { type: 'expired'; instanceId: string }
  | { type: 'message'; instanceId: string; message: TransportMessage }
  | {
      type: 'receipt';
      instanceId: string;
      messageId: string;
      status: ReceiptStatus;
      recipient: string | null;
      /** WhatsApp error code for failed acks (e.g. 463). */
      errorCode?: number | undefined;
      at: Date;
    }
  | { type: 'revoked'; instanceId: string; messageId: string; chat: string; by: string | null; at: Date }
  | {
      type: 'call';
      instanceId: string;
      callId: string;
      from: string | null;
      status: 'offer' | 'missed' | 'reject' | 'accept' | 'timeout';
      isVideo: boolean;
      at: Date;
    }
  | {
      type: 'group_update';
      instanceId: string;
      groupJid: string;
      subject?: string | null;
      change: Record<string, unknown>;
    }
  /** WhatsApp restriction signals (463 acks, message capping, reach-out time lock). */
  | { type: 'restriction'; instanceId: string; signal: string; detail: Record<string, unknown>; at: Date }
  /** WhatsApp could not be reached at all (before any QR or login): DNS, refused, timeout, network. */
  | { type: 'unreachable'; instanceId: string; cause: UnreachableCause; detail: string };

export type UnreachableCause = 'dns' | 'connection_refused' | 'timeout' | 'network';

/** How the transport's link to WhatsApp is, for `/health`. */
export type TransportHealth = { status: 'ok' } | { status: 'degraded'; reason: string };

const CAUSE_TEXT: Record<UnreachableCause, string> = {
  dns: 'DNS lookup failed',
  connection_refused: 'connection refused',
  timeout: 'connection timed out',
  network: 'network unreachable',
};

/** `Cannot reach WhatsApp: DNS lookup failed (getaddrinfo ENOTFOUND web.whatsapp.com)`. */
export function describeUnreachable(cause: UnreachableCause, detail: string): string {
  return `Cannot reach WhatsApp: ${CAUSE_TEXT[cause]}${detail ? ` (${detail})` : ''}`;
}

/**
 * Why a connection attempt never reached WhatsApp, from the socket error (Baileys wraps it in a
 * Boom whose `data` is the original error), or null when WhatsApp was reached and answered.
 */
export function unreachableCauseOf(error: unknown): { cause: UnreachableCause; detail: string } | null {
  const boom = error as { data?: unknown; message?: string } | undefined;
  const inner = (boom?.data && typeof boom.data === 'object' ? boom.data : boom) as
    | { code?: unknown; message?: unknown }
    | undefined;
  const code = typeof inner?.code === 'string' ? inner.code : '';
  const detail = typeof inner?.message === 'string' ? inner.message : String(boom?.message ?? '');
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL') return { cause: 'dns', detail };
  if (code === 'ECONNREFUSED') return { cause: 'connection_refused', detail };
  if (code === 'ETIMEDOUT' || /timed out/i.test(detail)) return { cause: 'timeout', detail };
  if (['EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'ECONNRESET', 'EPIPE'].includes(code)) return { cause: 'network', detail };
  return null;
}

export type TransportListener = (event: TransportEvent) => void | Promise<void>;

export interface StartOptions {
  instanceId: string;
  /** Present when the instance has linked before and a session should be restored. */
  restore: boolean;
  /** The number the instance is linked to, as last recorded (a session moving between nodes). */
  phone?: string | null;
}

export interface Transport {
  readonly kind: 'sandbox' | 'baileys';
  /** Register the single listener that receives every event of every instance. */
  onEvent(listener: TransportListener): void;
  /** Begin (or resume) the connection of an instance; a fresh one yields a `qr` event. */
  start(options: StartOptions): Promise<void>;
  /** Ask for a new QR (only when not connected). */
  regenerateQr(instanceId: string): Promise<void>;
  /** Phone-number linking: returns the 8-character pairing code. */
  requestPairingCode(instanceId: string, phoneE164: string): Promise<string>;
  send(request: SendRequest): Promise<SendResult>;
  isConnected(instanceId: string): boolean;
  /** Log out from WhatsApp and forget credentials. */
  logout(instanceId: string): Promise<void>;
  /** Stop the socket and drop all state of the instance. */
  destroy(instanceId: string): Promise<void>;
  /**
   * Stop the session of one instance without logging out and without events: its credentials
   * stay for the node that takes it over (several nodes, SPEC §12).
   */
  release?(instanceId: string): Promise<void>;
  /** false when calls for this instance are served by another node (several nodes). */
  isLocal?(instanceId: string): boolean;
  /** Stop every socket without logging out (graceful shutdown). */
  close(): Promise<void>;
  /** Degraded while WhatsApp cannot be reached (the last attempt failed before reaching it). */
  health?(): TransportHealth;
}
