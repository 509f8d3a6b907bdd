/**
 * Pure mapping from Baileys events to Warden's transport-neutral `TransportEvent`s: receipts,
 * calls, groups and restriction signals here; messages in `baileys-message-mapper.ts`; JIDs,
 * phone numbers and LIDs in `baileys-identity.ts` (both re-exported, one import for the transport).
 * No I/O here: media bytes are downloaded by the transport (the mapper only says what to
 * download), and LID→phone lookups the transport already resolved are passed in `pnForLid`.
 */
import {
  type GroupMetadata,
  isJidGroup,
  type MessageUserReceiptUpdate,
  proto,
  type WACallEvent,
  type WAMessageUpdate,
} from '@whiskeysockets/baileys';
import type { ReceiptStatus, TransportEvent } from '../transport.ts';
import { identityOf, type MapperContext } from './baileys-identity.ts';
import { toNumberish } from './baileys-message-mapper.ts';

export * from './baileys-identity.ts';
export * from './baileys-message-mapper.ts';

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
