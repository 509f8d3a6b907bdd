import assert from 'node:assert/strict';
import { ManualClock } from '../../src/lib/clock.ts';
import { SecretBox, SecretUnavailableError } from '../../src/integrations/threecx/secret-box.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-db.ts';

/** AES-256-GCM at rest for 3CX secrets, on SQLite and MySQL (the generated key lives in `settings`). */
describe('SecretBox (3CX secrets at rest)', () => {
  let database: TestDatabase;
  const clock = new ManualClock('2026-05-08T10:00:00Z');

  beforeEach(async () => {
    database = await createTestDatabase();
  });
  afterEach(() => database.destroy());

  it('round-trips; every encryption differs; the row id is bound as associated data', async () => {
    const box = new SecretBox({ db: database.db, clock, secretKey: null }, 'threecx-secret');
    const a = await box.encrypt('tcx_secret', 'tcx_1');
    const b = await box.encrypt('tcx_secret', 'tcx_1');
    assert.notEqual(a, b);
    assert.ok(!a.includes('tcx_secret'));
    assert.equal(await box.decrypt(a, 'tcx_1'), 'tcx_secret');
    await assert.rejects(
      box.decrypt(a, 'tcx_2'),
      (e: unknown) => e instanceof SecretUnavailableError && e.reason === 'corrupt',
    );
    const parts = a.split('.');
    parts[4] = Buffer.from('tampered').toString('base64url');
    await assert.rejects(box.decrypt(parts.join('.'), 'tcx_1'), SecretUnavailableError);
    await assert.rejects(box.decrypt('garbage', 'tcx_1'), SecretUnavailableError);
  });

  it('without SECRET_KEY one random key is generated once and shared by every box (and node)', async () => {
    const first = new SecretBox({ db: database.db, clock, secretKey: null }, 'threecx-secret');
    const second = new SecretBox({ db: database.db, clock, secretKey: null }, 'threecx-secret');
    const [x, y] = await Promise.all([first.encrypt('one', 'c'), second.encrypt('two', 'c')]);
    assert.equal(await second.decrypt(x, 'c'), 'one');
    assert.equal(await first.decrypt(y, 'c'), 'two');
    const rows = await database.db('settings').where({ key: 'secret_key' });
    assert.equal(rows.length, 1);
  });

  it('a value written under another key is reported as such (SECRET_KEY changed)', async () => {
    const generated = new SecretBox({ db: database.db, clock, secretKey: null }, 'threecx-secret');
    const configured = new SecretBox(
      {
        db: database.db,
        clock,
        secretKey: 'an-operator-secret-key-of-at-least-32-chars',
      },
      'threecx-secret',
    );
    const otherPurpose = new SecretBox(
      {
        db: database.db,
        clock,
        secretKey: 'an-operator-secret-key-of-at-least-32-chars',
      },
      'something-else',
    );
    const value = await generated.encrypt('tcx_secret', 'tcx_1');
    await assert.rejects(
      configured.decrypt(value, 'tcx_1'),
      (e: unknown) => e instanceof SecretUnavailableError && e.reason === 'wrong_key',
    );
    const fromConfigured = await configured.encrypt('tcx_secret', 'tcx_1');
    await assert.rejects(otherPurpose.decrypt(fromConfigured, 'tcx_1'), SecretUnavailableError);
    const again = new SecretBox(
      {
        db: database.db,
        clock,
        secretKey: 'an-operator-secret-key-of-at-least-32-chars',
      },
      'threecx-secret',
    );
    assert.equal(await again.decrypt(fromConfigured, 'tcx_1'), 'tcx_secret');
  });
});
