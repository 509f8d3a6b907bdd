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

  it('TRUST_PROXY: off by default; addresses, CIDRs and named ranges, never "true"', () => {
    assert.deepEqual(loadConfig({}).trustProxy, []);
    assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.2, 172.16.0.0/12,::1/128,loopback' }).trustProxy, [
      '10.0.0.2',
      '172.16.0.0/12',
      '::1/128',
      'loopback',
    ]);
    for (const bad of ['true', '*', '10.0.0.0/33', 'proxy.local', '10.0.0.0/8/1'])
      assert.throws(() => loadConfig({ TRUST_PROXY: bad }), /TRUST_PROXY/, bad);
  });

  it('send and database deadlines', () => {
    const d = loadConfig({});
    assert.equal(d.sendDeadlineMs, 45_000);
    assert.equal(d.transportSendTimeoutMs, 30_000, 'the transport gives up 15 s before the deadline');
    assert.deepEqual([d.dbConnectTimeoutMs, d.dbAcquireTimeoutMs, d.dbQueryTimeoutMs], [5000, 10_000, 15_000]);
    const c = loadConfig({ SEND_DEADLINE: '3s', DB_QUERY_TIMEOUT: '2s' });
    assert.equal(c.sendDeadlineMs, 3000);
    assert.equal(c.transportSendTimeoutMs, 2000);
    assert.equal(c.dbQueryTimeoutMs, 2000);
    assert.throws(() => loadConfig({ SEND_DEADLINE: '500ms' }), /SEND_DEADLINE/);
    assert.throws(() => loadConfig({ DB_CONNECT_TIMEOUT: 'soon' }), /DB_CONNECT_TIMEOUT/);
  });

  it('request body bytes in flight: 48mb per account, 128mb per process by default', () => {
    const d = loadConfig({});
    assert.equal(d.bodyBytesPerAccount, 48 * 1024 * 1024);
    assert.equal(d.bodyBytesPerProcess, 128 * 1024 * 1024);
    assert.equal(loadConfig({ BODY_BYTES_PER_ACCOUNT: '30mb' }).bodyBytesPerAccount, 30 * 1024 * 1024);
    assert.throws(() => loadConfig({ BODY_BYTES_PER_ACCOUNT: '10mb' }), /BODY_BYTES_PER_ACCOUNT: must be at least 25mb/);
    assert.throws(
      () => loadConfig({ BODY_BYTES_PER_ACCOUNT: '100mb', BODY_BYTES_PER_PROCESS: '50mb' }),
      /BODY_BYTES_PER_PROCESS: must not be smaller/,
    );
    assert.throws(() => loadConfig({ BODY_BYTES_PER_PROCESS: 'lots' }), /BODY_BYTES_PER_PROCESS/);
  });
});
