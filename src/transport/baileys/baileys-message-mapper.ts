/**
 * Pure mapping of a `messages.upsert` message to a `TransportMessage` (or a revoke, or nothing).
 * No I/O: the mapping says which media to download; the transport downloads it.
 */
import { getContentType, isJidGroup, jidDecode, normalizeMessageContent, proto, type WAMessage } from '@whiskeysockets/baileys';
import type { InboundMention, TransportEvent, TransportMessage } from '../transport.ts';
import { identityOf, jidToE164, type MapperContext, normalizeLid } from './baileys-identity.ts';

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

export function toNumberish(v: unknown): number {
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

  // What every message says of itself, whatever its content.
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
  if (!content) {
    return { kind: 'message', message: { ...base, messageType: 'unknown', text: null, isViewOnce: true } };
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
  /** A media message: its text (caption) and what the transport should download. */
  const withMedia = (
    kind: InboundMediaKind,
    text: string | null,
    m: { mimetype?: string | null; fileLength?: unknown },
    defaultMimeType: string,
    fileName: string | null = null,
  ): UpsertMapping => ({
    kind: 'message',
    message: message(kind, text),
    media: { kind, mimeType: m.mimetype || defaultMimeType, fileName, fileLength: num(m.fileLength) },
  });

  switch (type) {
    case 'conversation':
      return { kind: 'message', message: message('text', content.conversation || '') };
    case 'extendedTextMessage':
      return { kind: 'message', message: message('text', content.extendedTextMessage?.text || '') };
    case 'imageMessage': {
      const m = content.imageMessage!;
      return withMedia('image', m.caption || null, m, 'image/jpeg');
    }
    case 'videoMessage':
    case 'ptvMessage': {
      const m = (type === 'videoMessage' ? content.videoMessage : content.ptvMessage)!;
      return withMedia('video', m.caption || null, m, 'video/mp4');
    }
    case 'audioMessage': {
      const m = content.audioMessage!;
      return withMedia('audio', null, m, 'audio/ogg');
    }
    case 'documentMessage': {
      const m = content.documentMessage!;
      return withMedia('document', m.caption || null, m, 'application/octet-stream', m.fileName || m.title || null);
    }
    case 'stickerMessage': {
      const m = content.stickerMessage!;
      return withMedia('sticker', null, m, 'image/webp');
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
