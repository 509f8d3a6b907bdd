import type { Account, AccountRecords } from './account-store.ts';

/** An account on plan `plan`, active, with the API module, in UTC; override what a test needs. */
export function makeAccount(fields: Partial<Account> & Pick<Account, 'id' | 'plan'>): Account {
  return {
    name: fields.id,
    planActive: true,
    modules: ['api'],
    timezone: 'UTC',
    defaultCountry: null,
    dailyLimitOverride: null,
    monthlyLimitOverride: null,
    overrideReason: null,
    overrideApprovedBy: null,
    overrideApprovedAt: null,
    optoutConfirmation: false,
    createdAt: 0,
    updatedAt: 0,
    ...fields,
  };
}

/** `AccountStore` in memory (what `AccountService` uses), in creation order. */
export class FakeAccountStore implements AccountRecords {
  readonly accounts = new Map<string, Account>();

  async insert(account: Account): Promise<void> {
    this.accounts.set(account.id, { ...account });
  }

  async get(id: string): Promise<Account | null> {
    const account = this.accounts.get(id);
    return account ? { ...account } : null;
  }

  async list(): Promise<Account[]> {
    return [...this.accounts.values()].sort((a, b) => a.createdAt - b.createdAt).map((a) => ({ ...a }));
  }

  async update(id: string, patch: Partial<Account>): Promise<void> {
    const account = this.accounts.get(id);
    if (account) Object.assign(account, patch);
  }
}
