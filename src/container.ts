import os from 'node:os';
import type { Knex } from 'knex';
import { AccountService } from './accounts/account-service.ts';
import { AuthFailureLimiter } from './http/middleware/auth-failures.ts';
import { BodyBudget } from './http/middleware/body-budget.ts';
import { AccountStore } from './accounts/account-store.ts';
import { ClusterNode } from './cluster/cluster-node.ts';
import { ClusteredTransport } from './cluster/clustered-transport.ts';
import { ApiKeyService } from './accounts/api-key-service.ts';
import type { Config } from './config/config.ts';
import type { Policies } from './config/policies.ts';
import { createDb, dialectOf } from './db/database.ts';
import { EventOutbox } from './events/event-outbox.ts';
import { InboundLog } from './inbound/inbound-log.ts';
import { DbConversationWindowStore } from './inbound/conversation-window-store.ts';
import { InboundService } from './inbound/inbound-service.ts';
import { InstanceService } from './instances/instance-service.ts';
import { InstanceStore } from './instances/instance-store.ts';
import { type Clock, systemClock } from './lib/clock.ts';
import { moduleLogger } from './lib/logger.ts';
import { LocalMediaStore, type MediaStore } from './media/media-store.ts';
import { AdminActions } from './review/admin-actions.ts';
import { AdminSessionStore } from './review/admin-sessions.ts';
import { AuditLog } from './review/audit-log.ts';
import { PauseEvidence } from './review/pause-evidence.ts';
import { DbRestrictionSignalStore } from './review/restriction-signal-store.ts';
import { DbStrikeStore } from './review/strike-store.ts';
import { transactWith } from './db/transactions.ts';
import { AutoPauseService } from './review/auto-pause-service.ts';
import { ReviewService } from './review/review-service.ts';
import { IdempotencyStore } from './sending/idempotency-store.ts';
import { MessageLog } from './sending/message-log.ts';
import { QuotaLedger } from './sending/quota-ledger.ts';
import { ReservationBatcher } from './sending/reservation-batcher.ts';
import { GroupCommit } from './db/group-commit.ts';
import { ResponsibleMessageSender } from './sending/responsible-message-sender.ts';
import { fanOutDecisions, type SendDeps } from './sending/send-context.ts';
import { createGatewayMetrics, type GatewayMetrics } from './metrics/gateway-metrics.ts';
import { createRiskEngine, type RiskEngine } from './sending/risk/risk-engine.ts';
import { ThrottleService, type ThrottleStore } from './sending/throttle-service.ts';
import { createOptOutMatcher, type OptOutMatcher } from './suppression/opt-out-matcher.ts';
import { SuppressionService } from './suppression/suppression-service.ts';
import { SandboxTransport } from './transport/sandbox/sandbox-transport.ts';
import type { BaileysTransportOptions } from './transport/baileys/baileys-transport.ts';
import type { Transport } from './transport/transport.ts';
import { WebhookDeliveryStore } from './webhooks/webhook-delivery-store.ts';
import { WebhookEndpointStore } from './webhooks/webhook-endpoint-store.ts';
import { createWebhookMetrics, type WebhookMetrics } from './webhooks/webhook-metrics.ts';
import { WebhookService } from './webhooks/webhook-service.ts';
import { SecretBox } from './integrations/threecx/secret-box.ts';
import { ThreeCxRateLimiter } from './integrations/threecx/threecx-rate-limiter.ts';
import { ThreeCxService } from './integrations/threecx/threecx-service.ts';
import { ThreeCxStore } from './integrations/threecx/threecx-store.ts';
import { ThreeCxTemplates } from './integrations/threecx/threecx-templates.ts';
import { ThreeCxWebhook } from './integrations/threecx/threecx-webhook.ts';
import { ThreeCxWebhookGuard } from './integrations/threecx/threecx-webhook-guard.ts';
import { PortalSessionStore } from './portal/portal-sessions.ts';
import { PortalUserStore } from './portal/portal-user-store.ts';
import { PortalUsers } from './portal/portal-users.ts';

/** Things that live for the whole process and must be closed on shutdown. */
type Closer = () => Promise<void> | void;

export interface Container {
  config: Readonly<Config>;
  policies: Readonly<Policies>;
  db: Knex;
  clock: Clock;
  transport: Transport;
  accountStore: AccountStore;
  accounts: AccountService;
  apiKeys: ApiKeyService;
  instanceStore: InstanceStore;
  instances: InstanceService;
  outbox: EventOutbox;
  messages: MessageLog;
  quota: QuotaLedger;
  throttle: ThrottleService;
  risk: RiskEngine;
  optOut: OptOutMatcher;
  suppressions: SuppressionService;
  idempotency: IdempotencyStore;
  audit: AuditLog;
  review: ReviewService;
  /** Automatic pause-for-review: triggers, strike ladder, evidence (policies/pause.json). */
  autoPause: AutoPauseService;
  /** Audited admin changes shared by the admin API and the console. */
  adminActions: AdminActions;
  adminSessions: AdminSessionStore;
  sender: ResponsibleMessageSender;
  sendDeps: SendDeps;
  media: MediaStore;
  inboundLog: InboundLog;
  inbound: InboundService;
  webhookEndpoints: WebhookEndpointStore;
  webhookDeliveries: WebhookDeliveryStore;
  webhooks: WebhookService;
  /** Delivery counters the worker keeps and /metrics reads. */
  webhookMetrics: WebhookMetrics;
  /** 3CX integration settings (customer API). */
  threecx: ThreeCxService;
  /** The 3CX webhook: authentication and events. */
  threecxGuard: ThreeCxWebhookGuard;
  threecxWebhook: ThreeCxWebhook;
  /** Prometheus registry of this process (`GET /metrics`). */
  metrics: GatewayMetrics;
  /** Customer portal: account users, invitations, sign-in, and their sessions. */
  portalUsers: PortalUsers;
  portalSessions: PortalSessionStore;
  /** Failed admin-token attempts per client address (console sign-in, admin API, metrics). */
  authFailures: AuthFailureLimiter;
  /** Bytes of request bodies in flight, per account and for the process (SPEC §13). */
  bodyBudget: BodyBudget;
  /** Several nodes on one MySQL/MariaDB database (SPEC §12); null: this process owns everything. */
  cluster: ClusterNode | null;
  /** This node's id (`/health`, admin nodes list). */
  nodeId: () => string;
  /** The node that runs the instance's session now (null while it fails over). */
  ownerOf: (instanceId: string) => Promise<string | null>;
  adminToken: () => string;
  setAdminToken: (token: string) => void;
  /** Register something to close on shutdown (workers, sockets, pools). */
  onClose: (closer: Closer) => void;
  close: () => Promise<void>;
}

export interface ContainerOverrides {
  db?: Knex;
  clock?: Clock;
  transport?: Transport;
  throttleStore?: ThrottleStore;
  /** Run as one node of a cluster (leases, forwarding); the server sets it on MySQL/MariaDB. */
  cluster?: boolean;
}

async function throttleStoreFor(config: Config, db: Knex, closers: Closer[]): Promise<ThrottleStore> {
  if (config.redisUrl) {
    const { Redis } = await import('ioredis');
    const client = new Redis(config.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
    });
    await client.connect();
    closers.push(() => {
      client.disconnect();
    });
    return { kind: 'redis', client };
  }
  if (dialectOf(db) === 'mysql') {
    const dbName = String((db.client.config.connection as { database: string }).database);
    return { kind: 'mysql', db, dbName };
  }
  return { kind: 'memory' };
}

/**
 * The composition root: db → stores → services. Nothing else calls `new` on a service, so tests
 * swap a piece (clock, transport, db) through `overrides` and get the same wiring.
 */
export async function createContainer(
  config: Readonly<Config>,
  policies: Readonly<Policies>,
  overrides: ContainerOverrides = {},
): Promise<Container> {
  const closers: Closer[] = [];
  const db =
    overrides.db ??
    createDb(config.databaseUrl, {
      connectTimeoutMs: config.dbConnectTimeoutMs,
      acquireTimeoutMs: config.dbAcquireTimeoutMs,
      queryTimeoutMs: config.dbQueryTimeoutMs,
    });
  const clock = overrides.clock ?? systemClock;
  const transact = transactWith(db);
  const instanceStore = new InstanceStore(db);
  let clusterNode: ClusterNode | null = null;
  const baseTransport =
    overrides.transport ??
    (await createTransport(
      config,
      db,
      clock,
      overrides.cluster
        ? {
            beforeAuthWrite: (instanceId, trx) => (clusterNode as ClusterNode).fence(trx, instanceId),
            keepAfterReplaced: (instanceId) => (clusterNode as ClusterNode).keepAfterReplaced(instanceId),
          }
        : {},
    ));
  const metrics = createGatewayMetrics({ transport: baseTransport.kind });
  let transport: Transport = baseTransport;
  if (overrides.cluster) {
    clusterNode = new ClusterNode(db, baseTransport, instanceStore, metrics.registry);
    transport = new ClusteredTransport(baseTransport, clusterNode);
  }
  const accountStore = new AccountStore(db);
  const accounts = new AccountService(accountStore, policies.plans, clock);
  const apiKeys = new ApiKeyService(db, clock);
  const outbox = new EventOutbox(db, clock);
  const instances = new InstanceService(transact, instanceStore, transport, outbox, clock);
  if (clusterNode && transport instanceof ClusteredTransport) {
    const node = clusterNode;
    instances.setWriteFence((trx, instanceId) => node.fence(trx, instanceId));
    transport.issueQrHere = (id) => instances.issueQrHere(id);
    transport.remoteQrWritten = (id) => instances.qrWrittenElsewhere(id);
  }
  const messages = new MessageLog(db);
  const quota = new QuotaLedger(db);
  const throttle = new ThrottleService(
    policies.throttle,
    overrides.throttleStore ?? (await throttleStoreFor(config, db, closers)),
  );
  const risk = createRiskEngine(policies.risk, policies.models);
  const optOut = createOptOutMatcher(policies.optOut, policies.models);
  const suppressions = new SuppressionService(db, clock, messages);
  const idempotency = new IdempotencyStore(db, clock, config.sendDeadlineMs, quota, messages);
  const audit = new AuditLog(db, clock);
  const review = new ReviewService(transact, instanceStore, outbox, audit, clock);
  const strikes = new DbStrikeStore(db);
  const restrictionSignals = new DbRestrictionSignalStore(db);
  const autoPause = new AutoPauseService({
    clock,
    policy: policies.pause,
    transact,
    instances: instanceStore,
    strikes,
    evidence: new PauseEvidence(db, policies.pause, clock, strikes, restrictionSignals, instanceStore),
    review,
    audit,
  });
  const adminActions = new AdminActions({ transact, accounts, suppressions, audit, apiKeys, instances });
  const adminSessions = new AdminSessionStore(db, clock);
  const sendDeps: SendDeps = {
    transact,
    clock,
    policies,
    accounts,
    instances: instanceStore,
    suppressions,
    quota,
    throttle,
    risk,
    messages,
    transport: metrics.instrumentTransport(transport),
    outbox,
    idempotency,
    reservations: new ReservationBatcher({ transact, messages, quota, idempotency }),
    // Sent messages' events of one batch are written in one INSERT (the outbox is a batch participant).
    outcomes: new GroupCommit(db, [outbox]),
    sendDeadlineMs: config.sendDeadlineMs,
    throttleMultiplierFor: (instance) => autoPause.throttleMultiplierFor(instance),
    onDecision: fanOutDecisions(
      [(decision) => autoPause.onDecision(decision), metrics.observeDecision],
      (error) => moduleLogger('sender').error('decision listener failed', { error }),
    ),
  };
  const sender = new ResponsibleMessageSender(sendDeps);
  const webhookEndpoints = new WebhookEndpointStore(db);
  const webhookDeliveries = new WebhookDeliveryStore(db);
  const webhooks = new WebhookService({
    transact,
    endpoints: webhookEndpoints,
    deliveries: webhookDeliveries,
    outbox,
    instances: instanceStore,
    config,
    clock,
  });
  const webhookMetrics = createWebhookMetrics();
  const threecxStore = new ThreeCxStore(db);
  const threecxBox = new SecretBox({ db, clock, secretKey: config.secretKey }, 'threecx-secret');
  const threecxTemplates = new ThreeCxTemplates();
  const threecx = new ThreeCxService({
    transact,
    store: threecxStore,
    endpoints: webhookEndpoints,
    box: threecxBox,
    instances: instanceStore,
    webhooks,
    templates: threecxTemplates,
    clock,
  });
  const threecxGuard = new ThreeCxWebhookGuard({
    store: threecxStore,
    box: threecxBox,
    rateLimiter: new ThreeCxRateLimiter(clock, db),
    clock,
  });
  const threecxWebhook = new ThreeCxWebhook({
    store: threecxStore,
    accounts: accountStore,
    instances: instanceStore,
    sender,
    policies,
    templates: threecxTemplates,
    clock,
  });
  const portalSessions = new PortalSessionStore(db, clock);
  const portalUsers = new PortalUsers({
    transact,
    users: new PortalUserStore(db),
    clock,
    audit,
    sessions: portalSessions,
    totpBox: new SecretBox({ db, clock, secretKey: config.secretKey }, 'portal-totp'),
  });
  const media = new LocalMediaStore(db, clock, config.mediaDir);
  const inboundLog = new InboundLog(db);
  const inbound = new InboundService({
    transact,
    clock,
    outbox,
    inboundLog,
    messages,
    suppressions,
    optOut,
    accounts: accountStore,
    media,
    windows: new DbConversationWindowStore(db),
    restrictionSignals,
    sender,
  });
  instances.addHandler(inbound.handle);
  closers.push(() => inbound.close());
  let adminToken = config.adminToken ?? '';

  return {
    config,
    policies,
    db,
    clock,
    transport,
    accountStore,
    accounts,
    apiKeys,
    instanceStore,
    instances,
    outbox,
    messages,
    quota,
    throttle,
    risk,
    optOut,
    suppressions,
    idempotency,
    audit,
    review,
    autoPause,
    adminActions,
    adminSessions,
    sender,
    sendDeps,
    media,
    inboundLog,
    inbound,
    webhookEndpoints,
    webhookDeliveries,
    webhooks,
    webhookMetrics,
    threecx,
    threecxGuard,
    threecxWebhook,
    metrics,
    portalUsers,
    portalSessions,
    authFailures: new AuthFailureLimiter(),
    bodyBudget: new BodyBudget(config.bodyBytesPerAccount, config.bodyBytesPerProcess),
    cluster: clusterNode,
    nodeId: () => (clusterNode?.started ? clusterNode.id : (config.nodeId ?? `${os.hostname()}-${config.port}`)),
    ownerOf: async (instanceId) =>
      clusterNode?.started
        ? clusterNode.leases.ownerOf(instanceId)
        : (config.nodeId ?? `${os.hostname()}-${config.port}`),
    adminToken: () => adminToken,
    setAdminToken: (token) => {
      adminToken = token;
    },
    onClose: (closer) => closers.push(closer),
    close: async () => {
      for (const closer of closers.reverse()) await closer();
      await transport.close();
      if (!overrides.db) await db.destroy();
    },
  };
}

async function createTransport(
  config: Readonly<Config>,
  db: Knex,
  clock: Clock,
  baileysHooks: Pick<BaileysTransportOptions, 'beforeAuthWrite' | 'keepAfterReplaced'>,
): Promise<Transport> {
  // The Baileys transport keeps real time: WhatsApp's timers are not ours to fake.
  if (config.transport === 'sandbox')
    return new SandboxTransport({ clock, sendLatencyMs: config.sandboxSendLatencyMs });
  // Imported lazily: only this branch loads Baileys. The factory wires media dir, logger,
  // terminal QR and getMessage (see baileys-factory.ts) and runs the signature self-test: it
  // throws when strict certificate verification cannot be installed, so the server refuses to start.
  const { createBaileysTransport } = await import('./transport/baileys/baileys-factory.ts');
  return createBaileysTransport(config, db, baileysHooks);
}
