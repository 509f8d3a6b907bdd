/**
 * The inbound side of the Baileys transport: socket events (messages, receipts, calls, groups,
 * capping, reach-out time locks) mapped by `baileys-event-mapper.ts` into transport events, with
 * LIDs resolved to phone numbers, inbound media downloaded and receipts of our own sends deduplicated.
 */
import { downloadMediaMessage, getUrlFromDirectPath, type WAMessage, type WASocket } from '@whiskeysockets/baileys';
import type { TransportEvent } from '../transport.ts';
import {
  lidsToResolve,
  type MapperContext,
  mapCall,
  mapGroupParticipants,
  mapGroupUpdates,
  mapMessageCapping,
  mapMessageUpdates,
  mapReachoutTimelock,
  mapReceiptUpdates,
  mapUpsertMessage,
  normalizeLid,
  normalizePn,
} from './baileys-event-mapper.ts';
import { makeBaileysLogger } from './baileys-logger.ts';
import { type BaileysShared, type Runtime, withTimeout } from './baileys-runtime.ts';
import { isLoopbackHost } from './net-guard.ts';

/** The socket events of one `ev.process` batch. */
export type SocketEvents = Partial<Parameters<Parameters<WASocket['ev']['process']>[0]>[0]>;

export class BaileysInbound {
  constructor(private readonly shared: BaileysShared) {}

  /** A reach-out time lock announced in a `connection.update`. */
  reachoutTimelock(rt: Runtime, sock: WASocket, lock: Parameters<typeof mapReachoutTimelock>[0]): void {
    const ev = mapReachoutTimelock(lock, this.ctx(rt, sock));
    if (ev) {
      this.shared.events.emit(rt, ev);
    }
  }

  /** Everything of a batch but the connection and credential updates, queued in the instance's order. */
  handle(rt: Runtime, sock: WASocket, events: SocketEvents): void {
    const upsert = events['messages.upsert'];
    if (upsert && (upsert.type === 'notify' || upsert.type === 'append')) {
      const messages = upsert.messages;
      rt.chain = rt.chain
        .then(() => this.handleUpsert(rt, sock, messages))
        .catch((err) => {
          this.shared.log.error('baileys: inbound message handling failed', {
            instanceId: rt.id,
            error: (err as Error).stack,
          });
        });
    }
    // the rest may carry LIDs: resolve them to phone numbers (mapping store only) in order
    const updates = events['messages.update'];
    if (updates?.length) {
      this.shared.events.enqueue(rt, 'message updates', async () => {
        const pnForLid = await this.resolveLids(sock, updates.flatMap((u) => [u.key.remoteJid, u.key.remoteJidAlt]));
        return this.trackReceipts(rt, mapMessageUpdates(updates, this.ctx(rt, sock, pnForLid)));
      });
    }
    const receipts = events['message-receipt.update'];
    if (receipts?.length) {
      this.shared.events.enqueue(rt, 'receipts', async () => {
        const pnForLid = await this.resolveLids(sock, receipts.map((r) => r.receipt.userJid));
        return mapReceiptUpdates(receipts, this.ctx(rt, sock, pnForLid));
      });
    }
    const calls = events.call;
    if (calls?.length) {
      this.shared.events.enqueue(rt, 'calls', async () => {
        const pnForLid = await this.resolveLids(sock, calls.flatMap((c) => [c.from, c.chatId]));
        return calls
          .map((call) => mapCall(call, rt.calls, this.ctx(rt, sock, pnForLid)))
          .filter((ev): ev is NonNullable<typeof ev> => ev !== null);
      });
    }
    const groups = events['groups.update'];
    if (groups?.length) {
      this.shared.events.enqueue(rt, 'group updates', async () => {
        const pnForLid = await this.resolveLids(
          sock,
          groups.flatMap((g) => [g.author, g.owner, g.subjectOwner]),
        );
        return mapGroupUpdates(groups, this.ctx(rt, sock, pnForLid));
      });
    }
    const participants = events['group-participants.update'];
    if (participants) {
      this.shared.events.enqueue(rt, 'group participants', async () => {
        const pnForLid = await this.resolveLids(sock, [
          participants.author,
          ...participants.participants.map((p) => p.id),
        ]);
        return [mapGroupParticipants(participants as never, this.ctx(rt, sock, pnForLid))];
      });
    }
    const capping = (events as Record<string, unknown>)['message-capping.update'];
    if (capping && typeof capping === 'object') {
      this.shared.events.emit(rt, mapMessageCapping(capping as Record<string, unknown>, this.ctx(rt, sock)));
    }
  }

  /**
   * For messages sent through this transport: drop duplicate receipts and fill in `delivered`
   * when Baileys consolidated it away (delivery + read arriving together become one update).
   */
  private trackReceipts(rt: Runtime, events: TransportEvent[]): TransportEvent[] {
    const rank: Record<string, number> = { delivered: 3, read: 4, played: 5 };
    const out: TransportEvent[] = [];
    for (const ev of events) {
      if (ev.type !== 'receipt' || ev.status === 'failed') {
        out.push(ev);
        continue;
      }
      const seen = rt.sentIds.get<number>(ev.messageId);
      if (seen === undefined) {
        out.push(ev);
        continue;
      }
      const r = rank[ev.status] ?? 0;
      if (r <= seen && !(ev.status === 'played' && seen < 5)) {
        continue;
      }
      if (seen < 3 && r > 3) {
        out.push({ ...ev, status: 'delivered' });
      }
      rt.sentIds.set(ev.messageId, Math.max(seen, r));
      out.push(ev);
    }
    return out;
  }

  private ctx(rt: Runtime, sock: WASocket, pnForLid?: Map<string, string>): MapperContext {
    const me = sock.authState.creds.me;
    return {
      instanceId: rt.id,
      meId: me?.id,
      meLid: me?.lid,
      pnForLid,
      now: () => new Date(this.shared.clock.now()),
    };
  }

  private async handleUpsert(rt: Runtime, sock: WASocket, messages: WAMessage[]): Promise<void> {
    for (const msg of messages) {
      const id = msg.key?.id;
      if (id && msg.key.fromMe && rt.sentIds.get(id) !== undefined) {
        // our own send, echoed by Baileys; receipts that arrived while this echo was buffered
        // were merged into it (event-buffer), so surface them here
        const status = typeof msg.status === 'number' ? msg.status : undefined;
        const params = msg.messageStubParameters ?? undefined;
        const isError = status === 0 && !!params?.length;
        if ((status !== undefined && status >= 3) || isError) {
          const update = { key: msg.key, update: { status, messageStubParameters: params } };
          for (const ev of this.trackReceipts(rt, mapMessageUpdates([update], this.ctx(rt, sock)))) {
            await this.shared.events.deliver(ev);
          }
        }
        continue;
      }
      const pnForLid = await this.resolveLids(sock, lidsToResolve(msg));
      const mapped = mapUpsertMessage(msg, this.ctx(rt, sock, pnForLid));
      if (mapped.kind === 'ignore') {
        continue;
      }
      if (mapped.kind === 'revoke') {
        await this.shared.events.deliver(mapped.event);
        continue;
      }
      const message = mapped.message;
      if (mapped.media) {
        const data = await this.downloadMedia(rt, sock, msg, mapped.media.fileLength);
        if (data) {
          message.media = { data, mimeType: mapped.media.mimeType, fileName: mapped.media.fileName };
        }
      }
      await this.shared.events.deliver({ type: 'message', instanceId: rt.id, message });
    }
  }

  /** LID → PN JID for the LIDs Baileys' mapping store knows (no network). */
  private async resolveLids(sock: WASocket, jids: Array<string | null | undefined>): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const jid of jids) {
      const lid = normalizeLid(jid);
      if (!lid || out.has(lid)) {
        continue;
      }
      try {
        const pn = normalizePn(await sock.signalRepository.lidMapping.getPNForLID(lid));
        if (pn) {
          out.set(lid, pn);
        }
      } catch {
        // unknown mapping: payloads carry the LID only
      }
    }
    return out;
  }

  private async downloadMedia(
    rt: Runtime,
    sock: WASocket,
    msg: WAMessage,
    declared: number | null,
  ): Promise<Buffer | undefined> {
    const max = this.shared.options.maxInboundMediaBytes ?? 64 * 1024 * 1024;
    if (declared !== null && declared > max) {
      this.shared.log.warn('baileys: inbound media too large, not downloaded', {
        instanceId: rt.id,
        bytes: declared,
      });
      return undefined;
    }
    try {
      if (this.shared.loopbackOnly) {
        const url = mediaUrlOf(msg);
        if (!url || !isLoopbackHost(new URL(url).hostname)) {
          this.shared.log.warn('baileys: refusing non-loopback media download (loopback-only mode)', {
            instanceId: rt.id,
            url,
          });
          return undefined;
        }
      }
      const download = downloadMediaMessage(
        msg,
        'buffer',
        this.shared.mediaDispatcher
          ? { options: { dispatcher: this.shared.mediaDispatcher } as unknown as RequestInit }
          : {},
        {
          logger: makeBaileysLogger(this.shared.log, 'warn', { instanceId: rt.id }),
          reuploadRequest: sock.updateMediaMessage,
        },
      );
      const data = await withTimeout(
        download,
        this.shared.options.mediaDownloadTimeoutMs ?? 60_000,
        'media download timed out',
        this.shared.clock,
      );
      if (data.length > max) {
        return undefined;
      }
      return data;
    } catch (err) {
      this.shared.log.warn('baileys: inbound media download failed', {
        instanceId: rt.id,
        error: (err as Error).message,
      });
      return undefined;
    }
  }
}

function mediaUrlOf(msg: WAMessage): string | undefined {
  const m = msg.message;
  const inner =
    m?.imageMessage ??
    m?.videoMessage ??
    m?.audioMessage ??
    m?.documentMessage ??
    m?.stickerMessage ??
    m?.ptvMessage ??
    m?.documentWithCaptionMessage?.message?.documentMessage ??
    m?.viewOnceMessage?.message?.imageMessage ??
    m?.viewOnceMessageV2?.message?.imageMessage ??
    m?.viewOnceMessageV2?.message?.videoMessage ??
    m?.ephemeralMessage?.message?.imageMessage ??
    m?.ephemeralMessage?.message?.videoMessage ??
    m?.ephemeralMessage?.message?.documentMessage ??
    m?.ephemeralMessage?.message?.audioMessage;
  if (!inner) {
    return undefined;
  }
  if (inner.directPath) {
    let host: string | undefined;
    try {
      host = inner.url ? new URL(inner.url).host : undefined;
    } catch {
      host = undefined;
    }
    return getUrlFromDirectPath(inner.directPath, host);
  }
  return inner.url ?? undefined;
}
