/**
 * Pure mapping from Baileys events to Warden's transport-neutral `TransportEvent`s.
 * No I/O here: media bytes are downloaded by the transport (the mapper only says what to
 * download), and LID→phone lookups the transport already resolved are passed in `pnForLid`.
 */
import {
  type GroupMetadata,
  getContentType,
  isJidGroup,
  isLidUser,
  isPnUser,
  jidDecode,
  type MessageUserReceiptUpdate,
  normalizeMessageContent,
  proto,
  type WACallEvent,
  type WAMessage,
  type WAMessageUpdate,
} from '@whiskeysockets/baileys';
import type { InboundMention, ReceiptStatus, TransportEvent, TransportMessage } from '../transport.ts';

export interface MapperContext {
  instanceId: string;
  /** our own account: `PN:device@s.whatsapp.net` (creds.me.id) */
  meId?: string | null | undefined;
  /** our own LID: `LID:device@lid` (creds.me.lid) */
  meLid?: string | null | undefined;
  /** LID user JID (`123@lid`, no device) → PN JID, as already resolved by the transport */
  pnForLid?: ReadonlyMap<string, string> | undefined;
  now?: () => Date;
}

export type InboundMediaKind = 'image' | 'video' | 'audio' | 'document' | 'sticker';

export interface MediaDescriptor {
  kind: InboundMediaKind;
  mimeType: string;
  fileName: string | null;
  /** declared size, when the sender put it in the message */
  fileLength: number | null;
}

export type UpsertMapping =
  | { kind: 'message'; message: TransportMessage; media?: MediaDescriptor | undefined }
  | { kind: 'revoke'; event: Extract<TransportEvent, { type: 'revoked' }> }
  | { kind: 'ignore'; reason: string };

type Status = proto.WebMessageInfo.Status;
const Status = proto.WebMessageInfo.Status;

/** Signals used in `restriction` events. */
export const RESTRICTION_SIGNALS = {
  /** a message was rejected by WhatsApp with error 463 (account restricted / missing tctoken) */
  ack463: 'ack_463',
  /** new-chat message capping status/quota (`message-capping.update`) */
  messageCapping: 'message_capping',
  /** reach-out time lock (`connection.update.reachoutTimeLock`) */
  reachoutTimelock: 'reachout_timelock',
} as const;

// ------------------------------------------------------------------ JIDs and phone numbers

/** `62812…@s.whatsapp.net` (any device) → `+62812…`; anything else → null. */
export function jidToE164(jid: string | null | undefined): string | null {
  if (!jid || !isPnUser(jid)) {
    return null;
  }
  const user = jidDecode(jid)?.user;
  return user && /^\d{5,20}$/.test(user) ? `+${user}` : null;
}

/** `123:4@lid` → `123@lid`; non-LID → null. */
export function normalizeLid(jid: string | null | undefined): string | null {
  if (!jid || !isLidUser(jid)) {
    return null;
  }
  const user = jidDecode(jid)?.user;
  return user ? `${user}@lid` : null;
}

/** `123:4@s.whatsapp.net` → `123@s.whatsapp.net`; non-PN → null. */
export function normalizePn(jid: string | null | undefined): string | null {
  if (!jid || !isPnUser(jid)) {
    return null;
  }
  const user = jidDecode(jid)?.user;
  return user ? `${user}@s.whatsapp.net` : null;
}

export class InvalidRecipientError extends Error {}

/**
 * A send target to a JID: `+E164` (or bare digits) → PN JID; `…@g.us`, `…@s.whatsapp.net` and
 * `…@lid` pass through.
 */
export function recipientToJid(to: string): string {
  const trimmed = to.trim();
  if (/@(g\.us|s\.whatsapp\.net|lid)$/.test(trimmed)) {
    const d = jidDecode(trimmed);
    if (!d?.user) {
      throw new InvalidRecipientError(`invalid JID ${to}`);
    }
    return trimmed;
  }
  const digits = trimmed.replace(/^\+/, '');
  if (!/^[1-9]\d{6,14}$/.test(digits)) {
    throw new InvalidRecipientError(`recipient must be E.164 (+ and 7-15 digits) or a JID, got ${to}`);
  }
  return `${digits}@s.whatsapp.net`;
}

/** Phone and LID of a party from the two JID forms Baileys may give (either may be PN or LID). */
export function identityOf(
  primary: string | null | undefined,
  alt: string | null | undefined,
  ctx: Pick<MapperContext, 'pnForLid'>,
): { phone: string | null; lid: string | null } {
  let phone = jidToE164(primary) ?? jidToE164(alt);
  const lid = normalizeLid(primary) ?? normalizeLid(alt);
  if (!phone && lid) {
    phone = jidToE164(ctx.pnForLid?.get(lid));
  }
  return { phone, lid };
}

/** Every LID in a message the transport should try to resolve to a phone number. */
export function lidsToResolve(msg: WAMessage): string[] {
  const out = new Set<string>();
  const add = (jid: string | null | undefined) => {
    const lid = normalizeLid(jid);
    if (lid) {
      out.add(lid);
    }
  };
  add(msg.key?.remoteJid);
  add(msg.key?.remoteJidAlt);
  add(msg.key?.participant);
  add(msg.key?.participantAlt);
  add(msg.participant);
  const ci = contextInfoOf(normalizeMessageContent(msg.message ?? undefined));
  for (const jid of ci?.mentionedJid ?? []) {
    add(jid);
  }
  return [...out];
}

// ------------------------------------------------------------------ messages.upsert

function toNumberish(v: unknown): number {
  if (typeof v === 'number') {
    return v;
  }
  if (
    v &&
    typeof v === 'object' &&
    'toNumber' in v &&
    typeof (v as { toNumber: unknown }).toNumber === 'function'
  ) {
    return (v as { toNumber(): number }).toNumber();
  }
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
}

function timestampOf(msg: WAMessage, ctx: MapperContext): Date {
  const secs = toNumberish(msg.messageTimestamp);
  return secs > 0 ? new Date(secs * 1000) : (ctx.now?.() ?? new Date());
}

type ContextInfo = proto.IContextInfo;

function contextInfoOf(content: proto.IMessage | undefined): ContextInfo | undefined {
  if (!content) {
    return undefined;
  }
  const type = getContentType(content);
  if (!type || type === 'conversation') {
    return undefined;
  }
  const inner = (content as Record<string, unknown>)[type];
  if (inner && typeof inner === 'object' && 'contextInfo' in inner) {
    return ((inner as { contextInfo?: ContextInfo | null }).contextInfo ?? undefined) || undefined;
  }
  return undefined;
}

function isViewOnce(raw: proto.IMessage | null | undefined, content: proto.IMessage | undefined): boolean {
  if (raw?.viewOnceMessage || raw?.viewOnceMessageV2 || raw?.viewOnceMessageV2Extension) {
    return true;
  }
  const eph = raw?.ephemeralMessage?.message;
  if (eph?.viewOnceMessage || eph?.viewOnceMessageV2 || eph?.viewOnceMessageV2Extension) {
    return true;
  }
  return !!(
    content?.imageMessage?.viewOnce ||
    content?.videoMessage?.viewOnce ||
    content?.audioMessage?.viewOnce
  );
}

function mentionsOf(
  text: string | null,
  ci: ContextInfo | undefined,
  ctx: MapperContext,
): InboundMention[] | undefined {
  const jids = ci?.mentionedJid?.filter((j): j is string => typeof j === 'string' && j.length > 0);
  if (!jids?.length) {
    return undefined;
  }
  const used = new Set<number>();
  return jids.map((jid) => {
    const user = jidDecode(jid)?.user ?? '';
    const { phone, lid } = identityOf(jid, undefined, ctx);
    let start: number | null = null;
    let end: number | null = null;
    let display: string | null = null;
    if (text && user) {
      const needle = `@${user}`;
      let from = 0;
      for (;;) {
        const at = text.indexOf(needle, from);
        if (at < 0) {
          break;
        }
        const next = text.charAt(at + needle.length);
        // a whole token, and not an offset another mention already took
        if (!/\d/.test(next) && !used.has(at)) {
          start = at;
          end = at + needle.length;
          display = needle;
          used.add(at);
          break;
        }
        from = at + 1;
      }
    }
    return { jid: phone ?? jid, lid, display, start, end };
  });
}

function forwardedOf(ci: ContextInfo | undefined): TransportMessage['forwarded'] {
  if (!ci) {
    return undefined;
  }
  const score = ci.forwardingScore ?? 0;
  if (!ci.isForwarded && score <= 0) {
    return undefined;
  }
  return { isForwarded: !!ci.isForwarded || score > 0, score, frequentlyForwarded: score >= 5 };
}

function num(v: unknown): number | null {
  if (v === null || v === undefined) {
    return null;
  }
  const n = toNumberish(v);
  return Number.isFinite(n) && n > 0 ? n : null;
}

/**
 * Map one `messages.upsert` message (type `notify`). Returns what the transport should emit,
 * including which media to download.
 */
export function mapUpsertMessage(msg: WAMessage, ctx: MapperContext): UpsertMapping {
  const key = msg.key;
  if (!key?.id || !key.remoteJid) {
    return { kind: 'ignore', reason: 'no key' };
  }
  const remote = key.remoteJid;
  if (remote === 'status@broadcast' || remote.endsWith('@broadcast') || remote.endsWith('@newsletter')) {
    return { kind: 'ignore', reason: 'broadcast/newsletter' };
  }
  if (msg.messageStubType === proto.WebMessageInfo.StubType.CIPHERTEXT) {
    return { kind: 'ignore', reason: 'undecryptable' };
  }
  const content = normalizeMessageContent(msg.message ?? undefined);
  // WhatsApp delivers view-once media only to the phone; companions get `<unavailable type="view_once">`
  const viewOnceUnavailable = !content && !!(key as { isViewOnce?: boolean }).isViewOnce;
  if (!content && !viewOnceUnavailable) {
    return { kind: 'ignore', reason: msg.messageStubType ? 'stub' : 'empty' };
  }
  const isGroup = !!isJidGroup(remote);
  const fromMe = !!key.fromMe;
  const timestamp = timestampOf(msg, ctx);

  // sender
  let from: string | null;
  let fromLid: string | null;
  if (fromMe) {
    from = jidToE164(ctx.meId);
    fromLid = normalizeLid(ctx.meLid);
  } else if (isGroup) {
    ({ phone: from, lid: fromLid } = identityOf(key.participant ?? msg.participant, key.participantAlt, ctx));
  } else {
    ({ phone: from, lid: fromLid } = identityOf(remote, key.remoteJidAlt, ctx));
  }
  // chat: the group JID, or the other party of a 1:1 chat (phone form when known)
  let chat: string;
  if (isGroup) {
    chat = remote;
  } else {
    const other = identityOf(remote, key.remoteJidAlt, ctx);
    chat = other.phone ?? other.lid ?? remote;
  }

  if (!content) {
    return {
      kind: 'message',
      message: {
        messageId: key.id,
        fromMe,
        from,
        fromLid,
        chat,
        isGroup,
        pushName: msg.pushName ?? null,
        messageType: 'unknown',
        text: null,
        isViewOnce: true,
        timestamp,
      },
    };
  }
  const protocol = content.protocolMessage;
  if (protocol) {
    if (protocol.type === proto.Message.ProtocolMessage.Type.REVOKE && protocol.key?.id) {
      return {
        kind: 'revoke',
        event: {
          type: 'revoked',
          instanceId: ctx.instanceId,
          messageId: protocol.key.id,
          chat,
          by: from ?? fromLid,
          at: timestamp,
        },
      };
    }
    return { kind: 'ignore', reason: `protocol message ${protocol.type ?? 'unknown'}` };
  }
  const type = getContentType(content);
  if (!type || type === 'reactionMessage' || type === 'pollUpdateMessage' || type === 'encReactionMessage') {
    return { kind: 'ignore', reason: type ?? 'no content' };
  }

  const base = {
    messageId: key.id,
    fromMe,
    from,
    fromLid,
    chat,
    isGroup,
    pushName: msg.pushName ?? null,
    timestamp,
  };
  const ci = contextInfoOf(content);
  const viewOnce = isViewOnce(msg.message, content);
  const forwarded = forwardedOf(ci);
  const extras = (text: string | null): Partial<TransportMessage> => {
    const out: Partial<TransportMessage> = {};
    const mentions = mentionsOf(text, ci, ctx);
    if (mentions) out.mentions = mentions;
    if (forwarded) out.forwarded = forwarded;
    if (viewOnce) out.isViewOnce = true;
    return out;
  };
  const message = (
    messageType: TransportMessage['messageType'],
    text: string | null,
    more: Partial<TransportMessage> = {},
  ): TransportMessage => ({ ...base, messageType, text, ...extras(text), ...more });

  switch (type) {
    case 'conversation':
      return { kind: 'message', message: message('text', content.conversation || '') };
    case 'extendedTextMessage':
      return { kind: 'message', message: message('text', content.extendedTextMessage?.text || '') };
    case 'imageMessage': {
      const m = content.imageMessage!;
      return {
        kind: 'message',
        message: message('image', m.caption || null),
        media: {
          kind: 'image',
          mimeType: m.mimetype || 'image/jpeg',
          fileName: null,
          fileLength: num(m.fileLength),
        },
      };
    }
    case 'videoMessage':
    case 'ptvMessage': {
      const m = (type === 'videoMessage' ? content.videoMessage : content.ptvMessage)!;
      return {
        kind: 'message',
        message: message('video', m.caption || null),
        media: {
          kind: 'video',
          mimeType: m.mimetype || 'video/mp4',
          fileName: null,
          fileLength: num(m.fileLength),
        },
      };
    }
    case 'audioMessage': {
      const m = content.audioMessage!;
      return {
        kind: 'message',
        message: message('audio', null),
        media: {
          kind: 'audio',
          mimeType: m.mimetype || 'audio/ogg',
          fileName: null,
          fileLength: num(m.fileLength),
        },
      };
    }
    case 'documentMessage': {
      const m = content.documentMessage!;
      return {
        kind: 'message',
        message: message('document', m.caption || null),
        media: {
          kind: 'document',
          mimeType: m.mimetype || 'application/octet-stream',
          fileName: m.fileName || m.title || null,
          fileLength: num(m.fileLength),
        },
      };
    }
    case 'stickerMessage': {
      const m = content.stickerMessage!;
      return {
        kind: 'message',
        message: message('sticker', null),
        media: {
          kind: 'sticker',
          mimeType: m.mimetype || 'image/webp',
          fileName: null,
          fileLength: num(m.fileLength),
        },
      };
    }
    case 'contactMessage': {
      const m = content.contactMessage!;
      return {
        kind: 'message',
        message: message('contact', m.displayName || null, {
          contact: { displayName: m.displayName || null, vcard: m.vcard || null },
        }),
      };
    }
    case 'contactsArrayMessage': {
      const m = content.contactsArrayMessage!;
      const first = m.contacts?.[0];
      return {
        kind: 'message',
        message: message('contact', m.displayName || first?.displayName || null, {
          contact: { displayName: m.displayName || first?.displayName || null, vcard: first?.vcard || null },
        }),
      };
    }
    case 'locationMessage':
    case 'liveLocationMessage': {
      const m = (type === 'locationMessage' ? content.locationMessage : content.liveLocationMessage)!;
      const named = m as proto.Message.ILocationMessage;
      return {
        kind: 'message',
        message: message(
          'location',
          named.comment || (m as proto.Message.ILiveLocationMessage).caption || null,
          {
            location: {
              latitude: m.degreesLatitude ?? 0,
              longitude: m.degreesLongitude ?? 0,
              name: named.name || null,
              address: named.address || null,
            },
          },
        ),
      };
    }
    case 'pollCreationMessage':
    case 'pollCreationMessageV2':
    case 'pollCreationMessageV3': {
      const poll =
        content.pollCreationMessage ?? content.pollCreationMessageV2 ?? content.pollCreationMessageV3;
      return { kind: 'message', message: message('unknown', poll?.name || null) };
    }
    default:
      return { kind: 'message', message: message('unknown', null) };
  }
}

// ------------------------------------------------------------------ receipts

function statusToReceipt(status: Status | null | undefined): ReceiptStatus | null {
  switch (status) {
    case Status.DELIVERY_ACK:
      return 'delivered';
    case Status.READ:
      return 'read';
    case Status.PLAYED:
      return 'played';
    case Status.ERROR:
      return 'failed';
    default:
      return null;
  }
}

/** `messages.update` → `receipt` (and `restriction` for 463). Revokes are mapped from the upsert. */
export function mapMessageUpdates(updates: WAMessageUpdate[], ctx: MapperContext): TransportEvent[] {
  const out: TransportEvent[] = [];
  for (const { key, update } of updates) {
    if (!key?.id || !key.fromMe) {
      continue;
    }
    if (update.messageStubType === proto.WebMessageInfo.StubType.REVOKE) {
      continue;
    }
    const status = statusToReceipt(update.status);
    if (!status) {
      continue;
    }
    const who = isJidGroup(key.remoteJid ?? '') ? null : identityOf(key.remoteJid, key.remoteJidAlt, ctx);
    const recipient = who ? (who.phone ?? who.lid) : (key.remoteJid ?? null);
    const secs = toNumberish(update.messageTimestamp);
    const at = secs > 0 ? new Date(secs * 1000) : (ctx.now?.() ?? new Date());
    if (status === 'failed') {
      const raw = update.messageStubParameters?.[0];
      const errorCode =
        raw !== undefined && raw !== null && /^\d+$/.test(String(raw)) ? Number(raw) : undefined;
      const now = ctx.now?.() ?? new Date();
      out.push({
        type: 'receipt',
        instanceId: ctx.instanceId,
        messageId: key.id,
        status,
        recipient,
        errorCode,
        at: now,
      });
      if (errorCode === 463) {
        out.push({
          type: 'restriction',
          instanceId: ctx.instanceId,
          signal: RESTRICTION_SIGNALS.ack463,
          detail: {
            messageId: key.id,
            recipient,
            errorCode,
            text: update.messageStubParameters?.[1] ?? null,
          },
          at: now,
        });
      }
      continue;
    }
    out.push({ type: 'receipt', instanceId: ctx.instanceId, messageId: key.id, status, recipient, at });
  }
  return out;
}

/** `message-receipt.update` (per-participant receipts in groups) → `receipt`. */
export function mapReceiptUpdates(updates: MessageUserReceiptUpdate[], ctx: MapperContext): TransportEvent[] {
  const out: TransportEvent[] = [];
  for (const { key, receipt } of updates) {
    if (!key?.id || !key.fromMe || !receipt) {
      continue;
    }
    const who = identityOf(receipt.userJid, undefined, ctx);
    const recipient = who.phone ?? who.lid ?? receipt.userJid ?? null;
    const pick: Array<[ReceiptStatus, unknown]> = [
      ['played', receipt.playedTimestamp],
      ['read', receipt.readTimestamp],
      ['delivered', receipt.receiptTimestamp],
    ];
    for (const [status, ts] of pick) {
      const secs = toNumberish(ts);
      if (secs > 0) {
        out.push({
          type: 'receipt',
          instanceId: ctx.instanceId,
          messageId: key.id,
          status,
          recipient,
          at: new Date(secs * 1000),
        });
        break;
      }
    }
  }
  return out;
}

// ------------------------------------------------------------------ calls

/** Remembers which calls were offered/accepted so that a missed call is reported once. */
export class CallTracker {
  private readonly calls = new Map<string, { accepted: boolean; done: boolean }>();

  constructor(private readonly max = 500) {}

  get(id: string) {
    let entry = this.calls.get(id);
    if (!entry) {
      entry = { accepted: false, done: false };
      this.calls.set(id, entry);
      if (this.calls.size > this.max) {
        const oldest = this.calls.keys().next();
        if (!oldest.done) {
          this.calls.delete(oldest.value);
        }
      }
    }
    return entry;
  }
}

/** `call` → `call` event: offer → offer; accept → accept; timeout/reject/terminate without accept → missed. */
export function mapCall(
  call: WACallEvent,
  tracker: CallTracker,
  ctx: MapperContext,
): Extract<TransportEvent, { type: 'call' }> | null {
  const state = tracker.get(call.id);
  const who = identityOf(call.callerPn ?? call.from, call.from, ctx);
  const from = who.phone ?? who.lid ?? call.from ?? null;
  const base = {
    type: 'call' as const,
    instanceId: ctx.instanceId,
    callId: call.id,
    from,
    isVideo: !!call.isVideo,
    at:
      call.date instanceof Date && !Number.isNaN(call.date.getTime())
        ? call.date
        : (ctx.now?.() ?? new Date()),
  };
  switch (call.status) {
    case 'offer':
      return state.done ? null : { ...base, status: 'offer' };
    case 'accept':
      state.accepted = true;
      return { ...base, status: 'accept' };
    case 'timeout':
    case 'reject':
    case 'terminate':
      if (state.accepted || state.done) {
        state.done = true;
        return null;
      }
      state.done = true;
      return { ...base, status: 'missed' };
    default:
      return null;
  }
}

// ------------------------------------------------------------------ groups and restrictions

export function mapGroupUpdates(
  updates: Array<Partial<GroupMetadata>>,
  ctx: MapperContext,
): TransportEvent[] {
  return updates
    .filter((u) => !!u.id)
    .map((u) => {
      const { id, subject, ...rest } = u;
      const change: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(rest)) {
        if (v !== undefined) {
          change[k] = v;
        }
      }
      if (subject !== undefined) {
        change.subject = subject;
      }
      const author = rest as { author?: string; authorPn?: string };
      if (author.author || author.authorPn) {
        const who = identityOf(author.author, author.authorPn, ctx);
        change.by = who.phone ?? who.lid ?? author.author ?? null;
      }
      return {
        type: 'group_update',
        instanceId: ctx.instanceId,
        groupJid: id!,
        subject: subject ?? null,
        change,
      };
    });
}

export function mapGroupParticipants(
  update: {
    id: string;
    author?: string;
    participants: Array<{ id?: string | null; phoneNumber?: string | null } | string>;
    action: string;
  },
  ctx: MapperContext,
): TransportEvent {
  const participants = update.participants.map((p) => {
    const id = typeof p === 'string' ? p : (p.id ?? null);
    const alt = typeof p === 'string' ? null : (p.phoneNumber ?? null);
    const who = identityOf(id, alt, ctx);
    return { phone: who.phone, lid: who.lid, jid: id };
  });
  const author = update.author ? identityOf(update.author, undefined, ctx) : null;
  return {
    type: 'group_update',
    instanceId: ctx.instanceId,
    groupJid: update.id,
    change: { action: update.action, participants, author: author ? (author.phone ?? author.lid) : null },
  };
}

export function mapMessageCapping(payload: Record<string, unknown>, ctx: MapperContext): TransportEvent {
  return {
    type: 'restriction',
    instanceId: ctx.instanceId,
    signal: RESTRICTION_SIGNALS.messageCapping,
    detail: { ...payload },
    at: ctx.now?.() ?? new Date(),
  };
}

export function mapReachoutTimelock(
  state: { isActive?: boolean; timeEnforcementEnds?: Date; enforcementType?: string } | undefined,
  ctx: MapperContext,
): TransportEvent | null {
  if (!state) {
    return null;
  }
  return {
    type: 'restriction',
    instanceId: ctx.instanceId,
    signal: RESTRICTION_SIGNALS.reachoutTimelock,
    detail: {
      isActive: !!state.isActive,
      timeEnforcementEnds: state.timeEnforcementEnds ? state.timeEnforcementEnds.toISOString() : null,
      enforcementType: state.enforcementType ?? null,
    },
    at: ctx.now?.() ?? new Date(),
  };
}
