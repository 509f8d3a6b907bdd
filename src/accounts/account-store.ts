import type { Knex } from 'knex';
import { parseJson, toBool } from '../db/database.ts';
import { prepare, type Prepared, selectRows } from '../db/prepared.ts';

/** The modules an account can have (SPEC §2). The one definition. */
export const MODULES = ['api', 'threecx'] as const;
export type Module = (typeof MODULES)[number];

export interface Account {
  id: string;
  name: string;
  plan: string;
  planActive: boolean;
  modules: Module[];
  timezone: string;
  defaultCountry: string | null;
  dailyLimitOverride: number | null;
  monthlyLimitOverride: number | null;
  overrideReason: string | null;
  overrideApprovedBy: string | null;
  overrideApprovedAt: number | null;
  optoutConfirmation: boolean;
  createdAt: number;
  updatedAt: number;
}

const TABLE = 'accounts';
const API_KEY_COLUMNS = ['id', 'account_id', 'key_hash', 'name', 'prefix', 'created_at', 'last_used_at', 'revoked_at'];
const KEY_ALIAS = 'api_key__';

function fromRow(row: Record<string, unknown>): Account {
  return {
    id: String(row.id),
    name: String(row.name),
    plan: String(row.plan),
    planActive: toBool(row.plan_active),
    modules: parseJson<Module[]>(row.modules, []),
    timezone: String(row.timezone),
    defaultCountry: (row.default_country as string | null) ?? null,
    dailyLimitOverride: row.daily_limit_override == null ? null : Number(row.daily_limit_override),
    monthlyLimitOverride: row.monthly_limit_override == null ? null : Number(row.monthly_limit_override),
    overrideReason: (row.override_reason as string | null) ?? null,
    overrideApprovedBy: (row.override_approved_by as string | null) ?? null,
    overrideApprovedAt: row.override_approved_at == null ? null : Number(row.override_approved_at),
    optoutConfirmation: toBool(row.optout_confirmation),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function toRow(a: Partial<Account>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  if (a.id !== undefined) row.id = a.id;
  if (a.name !== undefined) row.name = a.name;
  if (a.plan !== undefined) row.plan = a.plan;
  if (a.planActive !== undefined) row.plan_active = a.planActive;
  if (a.modules !== undefined) row.modules = JSON.stringify(a.modules);
  if (a.timezone !== undefined) row.timezone = a.timezone;
  if (a.defaultCountry !== undefined) row.default_country = a.defaultCountry;
  if (a.dailyLimitOverride !== undefined) row.daily_limit_override = a.dailyLimitOverride;
  if (a.monthlyLimitOverride !== undefined) row.monthly_limit_override = a.monthlyLimitOverride;
  if (a.overrideReason !== undefined) row.override_reason = a.overrideReason;
  if (a.overrideApprovedBy !== undefined) row.override_approved_by = a.overrideApprovedBy;
  if (a.overrideApprovedAt !== undefined) row.override_approved_at = a.overrideApprovedAt;
  if (a.optoutConfirmation !== undefined) row.optout_confirmation = a.optoutConfirmation;
  if (a.createdAt !== undefined) row.created_at = a.createdAt;
  if (a.updatedAt !== undefined) row.updated_at = a.updatedAt;
  return row;
}

/** What the account service needs of the store; `FakeAccountStore` implements it. */
export type AccountRecords = Pick<AccountStore, 'insert' | 'get' | 'list' | 'update'>;

export class AccountStore {
  /** The send path's authentication read, compiled once (see `prepare`). */
  private readonly byApiKey: Prepared<'keyHash'>;

  constructor(private readonly db: Knex) {
    this.byApiKey = prepare(db, ['keyHash'], (p) =>
      db('api_keys')
        .leftJoin(TABLE, `${TABLE}.id`, 'api_keys.account_id')
        .where('api_keys.key_hash', p.keyHash)
        .first(
          `${TABLE}.*`,
          ...API_KEY_COLUMNS.map((c) => `api_keys.${c} as ${KEY_ALIAS}${c}`),
        ),
    );
  }

  async insert(account: Account): Promise<void> {
    await this.db(TABLE).insert(toRow(account));
  }

  /**
   * The API key row with this hash and its account, in one read (the send path's authentication).
   * The key's columns come back under their own names; `account` is null when the account is gone.
   */
  async withApiKey(keyHash: string): Promise<{ key: Record<string, unknown>; account: Account | null } | null> {
    const [row] = await selectRows(this.db, this.byApiKey.sql, this.byApiKey.bindings({ keyHash }));
    if (!row) return null;
    const key: Record<string, unknown> = {};
    for (const c of API_KEY_COLUMNS) key[c] = row[`${KEY_ALIAS}${c}`];
    return { key, account: row.id == null ? null : fromRow(row) };
  }

  async get(id: string): Promise<Account | null> {
    const row = await this.db(TABLE).where({ id }).first();
    return row ? fromRow(row) : null;
  }

  async list(): Promise<Account[]> {
    const rows = await this.db(TABLE).orderBy('created_at', 'asc');
    return rows.map(fromRow);
  }

  async update(id: string, patch: Partial<Account>): Promise<void> {
    await this.db(TABLE).where({ id }).update(toRow(patch));
  }

  async count(): Promise<number> {
    const row = await this.db(TABLE).count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }
}
