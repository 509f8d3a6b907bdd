/**
 * The outbound side of the Baileys transport: sends (with the on-WhatsApp check, a timeout and a
 * copy kept for retry receipts), the message content Baileys is given, and why a send failed.
 */
import { type AnyMessageContent, DisconnectReason, isPnUser, type proto, type WASocket } from '@whiskeysockets/baileys';
import { type SendRequest, type SendResult, TransportSendError } from '../transport.ts';
import { InvalidRecipientError, normalizeLid, recipientToJid } from './baileys-event-mapper.ts';
import { type BaileysShared, type Runtime, statusCodeOf, withTimeout } from './baileys-runtime.ts';

const DEFAULT_SEND_TIMEOUT = 30_000;

export class BaileysOutbound {
  constructor(private readonly shared: BaileysShared) {}

  /** Send through the instance's runtime (undefined when this node does not hold the session). */
  async send(rt: Runtime | undefined, request: SendRequest): Promise<SendResult> {
    const sock = rt?.sock;
    if (!rt || !sock || !rt.connected) {
      throw new TransportSendError('instance is not connected to WhatsApp', 'not_connected');
    }
    let jid: string;
    try {
      jid = recipientToJid(request.to);
    } catch (err) {
      throw new TransportSendError((err as Error).message, 'invalid_recipient');
    }
    const timeoutMs = this.shared.options.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT;
    const work = async (): Promise<SendResult> => {
      if (isPnUser(jid) && (this.shared.options.checkRecipientOnWhatsApp ?? true)) {
        const exists = await this.isOnWhatsApp(rt, sock, jid);
        if (!exists) {
          throw new TransportSendError(`${request.to} is not on WhatsApp`, 'not_on_whatsapp');
        }
      }
      const sent = await sock.sendMessage(jid, buildContent(request));
      const messageId = sent?.key?.id;
      if (!messageId) {
        throw new TransportSendError('WhatsApp did not return a message id', 'send_failed');
      }
      rt.sentIds.set(messageId, 0);
      if (rt.sentStore && sent.message) {
        await rt.sentStore.put(messageId, sent.message).catch((err) => {
          this.shared.log.warn('baileys: storing the sent-message copy failed', { instanceId: rt.id, error: (err as Error).message });
        });
      }
      let recipientLid: string | undefined;
      if (isPnUser(jid)) {
        try {
          recipientLid = normalizeLid(await sock.signalRepository.lidMapping.getLIDForPN(jid)) ?? undefined;
        } catch {
          recipientLid = undefined;
        }
      }
      return { messageId, recipientLid };
    };
    try {
      return await withTimeout(work(), timeoutMs, `send timed out after ${timeoutMs} ms`, this.shared.clock);
    } catch (err) {
      if (err instanceof TransportSendError) {
        throw err;
      }
      throw new TransportSendError((err as Error).message || 'send failed', sendFailureReason(err));
    }
  }

  /** For retry receipts: the caller's message log first, then our own copy; never a placeholder. */
  async lookupMessage(rt: Runtime, key: proto.IMessageKey): Promise<proto.IMessage | undefined> {
    if (this.shared.options.getMessage) {
      try {
        const found = await this.shared.options.getMessage(rt.id, key);
        if (found) {
          return found;
        }
      } catch (err) {
        this.shared.log.warn('baileys: getMessage failed', { instanceId: rt.id, error: (err as Error).message });
      }
    }
    if (rt.sentStore && key.id && key.fromMe) {
      try {
        return await rt.sentStore.get(key.id);
      } catch (err) {
        this.shared.log.warn('baileys: reading the sent-message copy failed', { instanceId: rt.id, error: (err as Error).message });
      }
    }
    return undefined;
  }

  private async isOnWhatsApp(rt: Runtime, sock: WASocket, jid: string): Promise<boolean> {
    const cached = rt.waChecks.get<boolean>(jid);
    if (cached !== undefined) {
      return cached;
    }
    const results = (await sock.onWhatsApp(jid)) ?? [];
    const user = jid.split('@')[0];
    const exists = results.some((r) => r.exists && r.jid.split('@')[0]?.split(':')[0] === user);
    rt.waChecks.set(jid, exists);
    return exists;
  }
}

function sendFailureReason(err: unknown): string {
  const message = (err as Error)?.message ?? '';
  const code = statusCodeOf(err);
  if (err instanceof InvalidRecipientError) return 'invalid_recipient';
  if (/timed out/i.test(message)) return 'timeout';
  if (/All encryptions failed|No sessions|SessionError/i.test(message)) return 'encryption_failed';
  if (/Media upload failed|upload/i.test(message)) return 'media_upload_failed';
  if (/item-not-found|not-found/i.test(message)) return 'recipient_not_found';
  if (code === DisconnectReason.connectionClosed || /Connection Closed/i.test(message))
    return 'connection_closed';
  if (/loopback-only/i.test(message)) return 'network_refused';
  return 'send_failed';
}

function buildContent(request: SendRequest): AnyMessageContent {
  const text = request.text ?? '';
  const media = request.media;
  if (!media) {
    // linkPreview: null → never fetch URLs found in the text
    return { text, linkPreview: null };
  }
  const caption = text.length ? text : undefined;
  switch (media.type) {
    case 'image':
      return { image: media.data, mimetype: media.mimeType, ...(caption ? { caption } : {}) };
    case 'video':
      return { video: media.data, mimetype: media.mimeType, ...(caption ? { caption } : {}) };
    case 'audio':
      // WhatsApp audio has no caption; the text is not sent with it
      return { audio: media.data, mimetype: media.mimeType, ptt: false };
    case 'document':
      return {
        document: media.data,
        mimetype: media.mimeType,
        fileName: media.fileName ?? 'file',
        ...(caption ? { caption } : {}),
      };
    default:
      throw new TransportSendError(
        `unsupported media type ${(media as { type: string }).type}`,
        'invalid_media',
      );
  }
}
