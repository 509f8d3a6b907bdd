/**
 * Baileys auth state (credentials + every Signal key type) stored in the database through knex,
 * on SQLite and MySQL alike. Table `baileys_auth` (migration 20261121000200_baileys_auth).
 *
 * - Values are serialized with Baileys' `BufferJSON` replacer/reviver.
 * - Every `set` runs in one transaction and upserts with
 *   `onConflict(['instance_id','category','key_id']).merge()`; `null` values delete.
 * - Writes of one instance are serialized with a per-instance mutex (per knex instance), so
 *   concurrent key updates and creds saves cannot interleave.
 * - An optional `beforeWrite` hook runs inside each write transaction (e.g. to check that this
 *   node still owns the instance lease and abort otherwise: fenced writes).
 */
import {
  type AuthenticationCreds,
  type AuthenticationState,
  BufferJSON,
  initAuthCreds,
  makeCacheableSignalKeyStore,
  proto,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
} from '@whiskeysockets/baileys';
import type { Knex } from 'knex';
import { TtlCache } from './ttl-cache.ts';

export const AUTH_TABLE = 'baileys_auth';
const CREDS = 'creds';
/** rows per multi-row insert / ids per IN (...) — well under SQLite's variable limit */
const CHUNK = 200;

export interface DbAuthOptions {
  /** Called inside every write transaction; throw to abort the write (fencing). */
  beforeWrite?: (trx: Knex.Transaction) => Promise<void> | void;
  /** Baileys-style logger for the key cache (optional). */
  logger?: Parameters<typeof makeCacheableSignalKeyStore>[1];
  /** Wrap the key store with Baileys' cache (default true). */
  cache?: boolean;
  /** Max cached keys per instance (default 2000). */
  cacheEntries?: number;
}

export interface DbAuthState {
  state: AuthenticationState;
  /** true when credentials were loaded from the database (a session to restore). */
  restored: boolean;
  saveCreds(): Promise<void>;
  /** Delete every row of this instance (creds and keys). */
  clear(): Promise<void>;
  /** Drop in-memory caches (the rows stay). */
  dispose(): void;
}

type Mutex = { run<T>(fn: () => Promise<T>): Promise<T> };

function makeMutex(): Mutex {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(fn: () => Promise<T>): Promise<T> {
      const result = tail.then(fn, fn);
      tail = result.catch(() => undefined);
      return result;
    },
  };
}

const mutexes = new WeakMap<Knex, Map<string, { mutex: Mutex; users: number }>>();

function acquireMutex(db: Knex, instanceId: string): { mutex: Mutex; release(): void } {
  let perDb = mutexes.get(db);
  if (!perDb) {
    perDb = new Map();
    mutexes.set(db, perDb);
  }
  let entry = perDb.get(instanceId);
  if (!entry) {
    entry = { mutex: makeMutex(), users: 0 };
    perDb.set(instanceId, entry);
  }
  entry.users++;
  let released = false;
  const held = entry;
  const map = perDb;
  return {
    mutex: entry.mutex,
    release() {
      if (released) {
        return;
      }
      released = true;
      held.users--;
      if (held.users <= 0 && map.get(instanceId) === held) {
        map.delete(instanceId);
      }
    },
  };
}

function serialize(value: unknown): string {
  return JSON.stringify(value, BufferJSON.replacer);
}

function deserialize<T>(text: string): T {
  return JSON.parse(text, BufferJSON.reviver) as T;
}

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    out.push(items.slice(i, i + size));
  }
  return out;
}

/** Whether credentials exist for an instance (it has linked before). */
export async function hasStoredCreds(db: Knex, instanceId: string): Promise<boolean> {
  const row = await db(AUTH_TABLE)
    .where({ instance_id: instanceId, category: CREDS, key_id: CREDS })
    .first('key_id');
  return !!row;
}

/** Delete every auth row of an instance. */
export async function clearAuthState(db: Knex, instanceId: string): Promise<void> {
  const { mutex, release } = acquireMutex(db, instanceId);
  try {
    await mutex.run(() => db(AUTH_TABLE).where({ instance_id: instanceId }).delete());
  } finally {
    release();
  }
}

/** The raw (uncached) key store of one instance. */
export function makeDbKeyStore(
  db: Knex,
  instanceId: string,
  mutex: Mutex,
  beforeWrite?: DbAuthOptions['beforeWrite'],
  isWritable: () => boolean = () => true,
): SignalKeyStore & { clear(): Promise<void> } {
  return {
    async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      const out: { [id: string]: SignalDataTypeMap[T] } = {};
      const unique = [...new Set(ids)];
      for (const part of chunks(unique)) {
        const rows: Array<{ key_id: string; value: string }> = await db(AUTH_TABLE)
          .select('key_id', 'value')
          .where({ instance_id: instanceId, category: type })
          .whereIn('key_id', part);
        for (const row of rows) {
          let value = deserialize<unknown>(row.value);
          if (type === 'app-state-sync-key' && value) {
            value = proto.Message.AppStateSyncKeyData.fromObject(value as object);
          }
          out[row.key_id] = value as SignalDataTypeMap[T];
        }
      }
      return out;
    },
    async set(data: SignalDataSet) {
      const upserts: Array<{
        instance_id: string;
        category: string;
        key_id: string;
        value: string;
        updated_at: number;
      }> = [];
      const deletes = new Map<string, string[]>();
      const now = Date.now();
      for (const category of Object.keys(data) as Array<keyof SignalDataTypeMap>) {
        const entries = data[category];
        if (!entries) {
          continue;
        }
        for (const [keyId, value] of Object.entries(entries)) {
          if (value === null || value === undefined) {
            const list = deletes.get(category) ?? [];
            list.push(keyId);
            deletes.set(category, list);
          } else {
            upserts.push({
              instance_id: instanceId,
              category,
              key_id: keyId,
              value: serialize(value),
              updated_at: now,
            });
          }
        }
      }
      if (!upserts.length && !deletes.size) {
        return;
      }
      await mutex.run(async () => {
        if (!isWritable()) {
          return;
        }
        await db.transaction(async (trx) => {
          await beforeWrite?.(trx);
          for (const part of chunks(upserts)) {
            await trx(AUTH_TABLE)
              .insert(part)
              .onConflict(['instance_id', 'category', 'key_id'])
              .merge(['value', 'updated_at']);
          }
          for (const [category, keyIds] of deletes) {
            for (const part of chunks(keyIds)) {
              await trx(AUTH_TABLE)
                .where({ instance_id: instanceId, category })
                .whereIn('key_id', part)
                .delete();
            }
          }
        });
      });
    },
    async clear() {
      await mutex.run(() =>
        db.transaction(async (trx) => {
          await beforeWrite?.(trx);
          await trx(AUTH_TABLE).where({ instance_id: instanceId }).whereNot({ category: CREDS }).delete();
        }),
      );
    },
  };
}

/**
 * Load (or initialise) the auth state of an instance. Credentials are created in memory when
 * none are stored; they are written on the first `saveCreds()`.
 */
export async function useDbAuthState(
  db: Knex,
  instanceId: string,
  options: DbAuthOptions = {},
): Promise<DbAuthState> {
  const { mutex, release } = acquireMutex(db, instanceId);
  const row = await db(AUTH_TABLE)
    .where({ instance_id: instanceId, category: CREDS, key_id: CREDS })
    .first('value');
  const restored = !!row;
  const creds: AuthenticationCreds = row ? deserialize<AuthenticationCreds>(row.value) : initAuthCreds();
  // once cleared (logout/destroy), late writes from a dying socket must not resurrect rows
  let cleared = false;
  const raw = makeDbKeyStore(db, instanceId, mutex, options.beforeWrite, () => !cleared);
  let cacheStore: TtlCache | undefined;
  let keys: SignalKeyStore = raw;
  if (options.cache ?? true) {
    cacheStore = new TtlCache(5 * 60_000, options.cacheEntries ?? 2000);
    keys = makeCacheableSignalKeyStore(raw, options.logger, cacheStore);
  }
  return {
    state: { creds, keys },
    restored,
    saveCreds: () =>
      mutex.run(async () => {
        if (cleared) {
          return;
        }
        const value = serialize(creds);
        await db.transaction(async (trx) => {
          await options.beforeWrite?.(trx);
          await trx(AUTH_TABLE)
            .insert({
              instance_id: instanceId,
              category: CREDS,
              key_id: CREDS,
              value,
              updated_at: Date.now(),
            })
            .onConflict(['instance_id', 'category', 'key_id'])
            .merge(['value', 'updated_at']);
        });
      }),
    clear: async () => {
      cleared = true;
      cacheStore?.flushAll();
      await mutex.run(() =>
        db.transaction(async (trx) => {
          await options.beforeWrite?.(trx);
          await trx(AUTH_TABLE).where({ instance_id: instanceId }).delete();
        }),
      );
    },
    dispose: () => {
      cacheStore?.close();
      release();
    },
  };
}

/** Category for the copies of sent messages kept for retry receipts (see SentMessageStore). */
export const SENT_MESSAGE_CATEGORY = 'sent-message';

/**
 * Copies of recently sent messages, so a contact's retry receipt ("waiting for this message")
 * can be answered with the original `proto.Message` even after a restart (Baileys' own recent
 * message cache is in memory only). Stored in `baileys_auth` under category `sent-message`,
 * pruned after `retainMs`, deleted with the instance.
 */
export class SentMessageStore {
  private lastPrune = 0;

  constructor(
    private readonly db: Knex,
    private readonly instanceId: string,
    private readonly retainMs = 72 * 3600_000,
    private readonly now: () => number = Date.now,
  ) {}

  async put(messageId: string, message: proto.IMessage): Promise<void> {
    const value = JSON.stringify({ b64: Buffer.from(proto.Message.encode(message).finish()).toString('base64') });
    const at = this.now();
    await this.db(AUTH_TABLE)
      .insert({ instance_id: this.instanceId, category: SENT_MESSAGE_CATEGORY, key_id: messageId, value, updated_at: at })
      .onConflict(['instance_id', 'category', 'key_id'])
      .merge(['value', 'updated_at']);
    if (at - this.lastPrune > 3600_000) {
      this.lastPrune = at;
      await this.prune();
    }
  }

  async get(messageId: string): Promise<proto.IMessage | undefined> {
    const row = await this.db(AUTH_TABLE)
      .where({ instance_id: this.instanceId, category: SENT_MESSAGE_CATEGORY, key_id: messageId })
      .where('updated_at', '>=', this.now() - this.retainMs)
      .first('value');
    if (!row) {
      return undefined;
    }
    const { b64 } = JSON.parse(row.value) as { b64: string };
    return proto.Message.decode(Buffer.from(b64, 'base64'));
  }

  async prune(): Promise<void> {
    await this.db(AUTH_TABLE)
      .where({ instance_id: this.instanceId, category: SENT_MESSAGE_CATEGORY })
      .where('updated_at', '<', this.now() - this.retainMs)
      .delete();
  }
}
