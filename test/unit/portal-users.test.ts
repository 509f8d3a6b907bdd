import assert from 'node:assert/strict';
import { inMemoryTransactOver } from '../../src/db/transactions.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../src/errors/errors.ts';
import { ManualClock } from '../../src/lib/clock.ts';
import { FakePortalUserStore } from '../../src/portal/portal-user-store.fake.ts';
import { INVITATION_TTL_MS, PortalUsers } from '../../src/portal/portal-users.ts';
import { FakeAuditLog } from '../../src/review/audit-log.fake.ts';

const ACCOUNT = 'acc_1';
const ADMIN = 'admin-token';
const PASSWORD = 'correct horse battery';

/** PortalUsers on the in-memory store: no database anywhere. */
function setup() {
  const clock = new ManualClock('2026-05-08T10:00:00Z');
  const users = new FakePortalUserStore();
  const audit = new FakeAuditLog(clock);
  const endedSessions: string[] = [];
  const portal = new PortalUsers({
    transact: inMemoryTransactOver([users]),
    users,
    clock,
    audit,
    sessions: { endAllFor: async (_trx, userId) => void endedSessions.push(userId) },
    // TOTP is not exercised here: the box only has to round-trip.
    totpBox: { encrypt: async (v) => `box:${v}`, decrypt: async (v) => v.replace(/^box:/, '') },
  });
  /** Invite `email` with `role` and accept the invitation. */
  const join = async (email: string, role: string) => {
    const { token } = await portal.invite(ACCOUNT, { email, role }, ADMIN);
    return portal.accept(token, { name: email.split('@')[0]!, password: PASSWORD });
  };
  return { clock, users, audit, endedSessions, portal, join };
}

describe('PortalUsers (unit, on the in-memory store)', () => {
  it('an invitation makes one user of its account with its role, and works once', async () => {
    const t = setup();
    const input = { email: ' Dewi@Toko.example ', role: 'developer' };
    const { invitation, token } = await t.portal.invite(ACCOUNT, input, ADMIN);
    assert.equal(invitation.email, 'dewi@toko.example');
    assert.deepEqual((await t.portal.pendingInvitations(ACCOUNT)).map((i) => i.id), [invitation.id]);

    const user = await t.portal.accept(token, { name: 'Dewi', password: PASSWORD });
    assert.equal(user.accountId, ACCOUNT);
    assert.equal(user.role, 'developer');
    assert.deepEqual(await t.portal.list(ACCOUNT), [user]);
    assert.deepEqual(await t.portal.pendingInvitations(ACCOUNT), []);
    assert.deepEqual(
      t.audit.entries.map((e) => e.action),
      ['portal_user.invited', 'portal_user.joined'],
    );

    assert.equal(await t.portal.findInvitation(token), null);
    await assert.rejects(t.portal.accept(token, { name: 'Again', password: PASSWORD }), NotFoundError);
    assert.equal((await t.portal.list(ACCOUNT)).length, 1);
    const again = { email: 'dewi@toko.example', role: 'viewer' };
    await assert.rejects(t.portal.invite(ACCOUNT, again, ADMIN), ValidationError);
  });

  it('an expired invitation is refused; a refused acceptance leaves the invitation unused', async () => {
    const t = setup();
    const first = await t.portal.invite(ACCOUNT, { email: 'budi@toko.example', role: 'viewer' }, ADMIN);
    const second = await t.portal.invite(ACCOUNT, { email: 'budi@toko.example', role: 'owner' }, ADMIN);
    await t.portal.accept(first.token, { name: 'Budi', password: PASSWORD });
    // The e-mail address is taken by now: the claim of the second invitation is rolled back with the refusal.
    await assert.rejects(t.portal.accept(second.token, { name: 'Budi', password: PASSWORD }), ValidationError);
    assert.deepEqual((await t.portal.pendingInvitations(ACCOUNT)).map((i) => i.id), [second.invitation.id]);

    const late = await t.portal.invite(ACCOUNT, { email: 'sari@toko.example', role: 'viewer' }, ADMIN);
    t.clock.advance(INVITATION_TTL_MS);
    await assert.rejects(t.portal.accept(late.token, { name: 'Sari', password: PASSWORD }), NotFoundError);
  });

  it('an account keeps at least one owner', async () => {
    const t = setup();
    const owner = await t.join('ayu@toko.example', 'owner');
    await assert.rejects(t.portal.changeRole(ACCOUNT, owner.id, 'viewer', ADMIN), ConflictError);
    await assert.rejects(t.portal.remove(ACCOUNT, owner.id, ADMIN), ConflictError);
    assert.equal((await t.portal.get(ACCOUNT, owner.id))?.role, 'owner');
    assert.deepEqual(t.endedSessions, []);

    const second = await t.join('rudi@toko.example', 'owner');
    assert.equal((await t.portal.changeRole(ACCOUNT, owner.id, 'viewer', ADMIN)).role, 'viewer');
    await assert.rejects(t.portal.remove(ACCOUNT, second.id, ADMIN), ConflictError);
    await t.portal.remove(ACCOUNT, owner.id, ADMIN);
    assert.equal(await t.portal.get(ACCOUNT, owner.id), null);
    assert.deepEqual(t.endedSessions, [owner.id]);
  });
});
