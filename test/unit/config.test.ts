import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config/config.ts';

describe('config', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    assert.equal(c.port, 3000);
    assert.equal(c.databaseUrl, 'sqlite:./data/warden.sqlite');
    assert.equal(c.transport, 'baileys');
    assert.equal(c.redisUrl, null);
    assert.deepEqual(c.webhookRetrySchedule, [10_000, 30_000, 90_000]);
    assert.equal(c.webhookTimeoutMs, 10_000);
    assert.equal(c.webhookRequireHttps, false);
    assert.equal(c.policiesDir, './policies');
    assert.equal(c.mediaDir, './data/media');
    assert.ok(Object.isFrozen(c));
  });

  it('names every bad setting at once', () => {
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'postgres://x',
        TRANSPORT: 'carrier-pigeon',
        WEBHOOK_RETRY_SCHEDULE: '10s,soon',
        LOG_LEVEL: 'loud',
        ADMIN_TOKEN: 'short',
      });
      assert.fail('should throw');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      const text = error.message;
      for (const name of [
        'PORT',
        'DATABASE_URL',
        'TRANSPORT',
        'WEBHOOK_RETRY_SCHEDULE',
        'LOG_LEVEL',
        'ADMIN_TOKEN',
      ])
        assert.match(text, new RegExp(`${name}:`));
      assert.equal(error.problems.length, 6);
    }
  });

  it('parses durations, CIDRs and booleans', () => {
    const c = loadConfig({
      WEBHOOK_RETRY_SCHEDULE: '500ms, 2m,1h',
      WEBHOOK_TIMEOUT: '5s',
      WEBHOOK_REQUIRE_HTTPS: 'true',
      WEBHOOK_ALLOWED_CIDRS: '127.0.0.0/8,::1/128',
    });
    assert.deepEqual(c.webhookRetrySchedule, [500, 120_000, 3_600_000]);
    assert.equal(c.webhookTimeoutMs, 5000);
    assert.equal(c.webhookRequireHttps, true);
    assert.throws(() => loadConfig({ WEBHOOK_ALLOWED_CIDRS: 'localhost' }), /WEBHOOK_ALLOWED_CIDRS/);
    assert.throws(() => loadConfig({ WEBHOOK_REQUIRE_HTTPS: 'maybe' }), /WEBHOOK_REQUIRE_HTTPS/);
    assert.throws(() => loadConfig({ DATABASE_URL: 'mysql://root@127.0.0.1:3306' }), /must name a database/);
  });
});
