import type { Account } from '../accounts/account-store.ts';
import type { AccountService } from '../accounts/account-service.ts';
import type { Policies } from '../config/policies.ts';
import type { EventOutbox } from '../events/event-outbox.ts';
import type { Instance } from '../instances/instance-store.ts';
import type { InstanceStore } from '../instances/instance-store.ts';
import type { Clock } from '../lib/clock.ts';
import type { GroupCommit } from '../db/group-commit.ts';
import type { Transact } from '../db/transactions.ts';
import type { SuppressionReads } from '../suppression/suppression-service.ts';
import type { Transport, OutboundMedia } from '../transport/transport.ts';
import type { IdempotencyLinks } from './idempotency-store.ts';
import type { SendMessageLog } from './message-log.ts';
import type { SendSource } from './send-source.ts';
import type { QuotaReservations } from './quota-ledger.ts';
import type { ReservationBatcher } from './reservation-batcher.ts';
import type { RiskEngine, RiskResult } from './risk/risk-engine.ts';
import type { ThrottleService, ThrottleTicket } from './throttle-service.ts';

/** What a caller asks to send (already schema-validated; media already decoded and checked). */
export interface SendCommand {
  account: Account;
  instanceId: string;
  phone: string;
  message: string;
  purpose: unknown;
  media?: OutboundMedia | undefined;
  reference?: string | null | undefined;
  /** Where the send came from: the public API, a 3CX integration, an opt-out confirmation. */
  source: SendSource;
  integrationId?: string | null | undefined;
  /** The module the account must have enabled for this source. */
  module: 'api' | 'threecx';
  /** Opt-out/opt-in confirmations are exempt from quota (SPEC §6). */
  quotaExempt?: boolean | undefined;
  /** The request's claimed Idempotency-Key: linked to the message row, completed with the send. */
  idempotencyKey?: string | undefined;
}

/** Mutable state the checks fill in as they pass. */
export interface SendState {
  instance?: Instance;
  recipient?: string;
  isGroup?: boolean;
  recipientHash?: string;
  skeletonHash?: string;
  /** Read with the suppression list: the instance sent to this recipient before. */
  contacted?: boolean;
  isNewRecipient?: boolean;
  /** The message-log row; written when quota is reserved (or at the refusal). */
  logId?: number;
  quota?: { dayKey: string; monthKey: string; held: boolean };
  throttle?: ThrottleTicket;
  risk?: RiskResult;
  waMessageId?: string;
  /** Set when a check already wrote the final state of the row (transport failure). */
  finalized?: boolean;
}

export interface SendDeps {
  /** Runs the send's atomic writes (reservation, outcome, refusal) in one transaction each. */
  transact: Transact;
  clock: Clock;
  policies: Policies;
  accounts: Pick<AccountService, 'limitsFor' | 'throttleMultiplier'>;
  instances: Pick<InstanceStore, 'getForAccount'>;
  suppressions: SuppressionReads;
  quota: QuotaReservations;
  throttle: Pick<ThrottleService, 'consume' | 'refund'>;
  risk: RiskEngine;
  messages: SendMessageLog;
  transport: Pick<Transport, 'send' | 'isConnected'>;
  outbox: Pick<EventOutbox, 'emit' | 'notify'>;
  /** Idempotency-Key claims (linked and completed inside the send's own transactions). */
  idempotency?: IdempotencyLinks;
  /** Group commit of quota reservations; without it each send reserves alone. */
  reservations?: Pick<ReservationBatcher, 'reserve'>;
  /** Group commit of sent messages' final state and event; without it each send commits alone. */
  outcomes?: Pick<GroupCommit, 'transaction'>;
  /** SEND_DEADLINE: after it an interrupted send's reservation is returned. */
  sendDeadlineMs?: number;
  /** Review-imposed slowdown per instance (1 = none); the compliance review feature sets it. */
  throttleMultiplierFor?: (instance: Instance) => Promise<number> | number;
  /** Called after every recorded decision (pause triggers, metrics): build it with `fanOutDecisions`. */
  onDecision?: DecisionHandler;
}

export type DecisionHandler = (decision: SendDecision) => void | Promise<void>;

/**
 * One `onDecision` slot, several listeners (compliance auto-pause, metrics): each runs in order,
 * and one that throws is reported to `onError` without failing the send or skipping the others.
 */
export function fanOutDecisions(
  handlers: readonly DecisionHandler[],
  onError: (error: unknown, index: number) => void = () => {},
): DecisionHandler {
  return async (decision) => {
    for (const [index, handle] of handlers.entries()) {
      try {
        await handle(decision);
      } catch (error) {
        onError(error, index);
      }
    }
  };
}

export interface SendDecision {
  accountId: string;
  instanceId: string | null;
  logId: number;
  outcome: 'allowed' | 'blocked';
  check: string | null;
  errorCode: string | null;
  riskScore: number | null;
  flagged: boolean;
  durationMs: number;
}

export interface SendCheck {
  /** Stable name, recorded as the deciding check. */
  readonly name: string;
  /** Throws an ApiError to refuse; fills `state` to pass facts to later checks. */
  run(command: SendCommand, state: SendState, deps: SendDeps): Promise<void>;
}
