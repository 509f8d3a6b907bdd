import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertValidEvent } from '../../src/events/event-schemas.ts';
import { accountDirectory } from '../../src/media/media-store.ts';
import { assertAllEventsValid, events, receive } from '../support/inbound.ts';
import { createTestContext, generousThrottles, type TestContext } from '../support/test-app.ts';

// A 1×1 transparent PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

describe('inbound media and GET /media', () => {
  let ctx: TestContext;
  let key: string;
  let accountId: string;
  let instanceId: string;
  let mediaDir: string;

  const media = (p: string, k: string | null = key) => {
    const req = ctx.http
      .get(`/media?path=${p}`)
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    return k ? req.set('Authorization', `Bearer ${k}`) : req;
  };
  const receiveMedia = async (
    m: { type: string; mime_type: string; file_name?: string; data: Buffer },
    text = 'see attached',
  ) => {
    const id = await receive(ctx, key, instanceId, {
      from: '+6281234567890',
      text,
      media: { ...m, data: m.data.toString('base64') },
    });
    const [event] = (await events(ctx, { type: 'message.received' })).filter(
      (e) => e.payload.message_id === id,
    );
    assert.ok(event);
    return event.payload;
  };

  beforeEach(async () => {
    mediaDir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-media-'));
    ctx = await createTestContext({ policies: generousThrottles, env: { MEDIA_DIR: mediaDir } });
    ({ id: accountId, key } = await ctx.createAccount({ plan: 'starter' }));
    instanceId = await ctx.createConnectedInstance(key, 'Support Line');
  });
  afterEach(async () => {
    await assertAllEventsValid(ctx);
    await ctx.close();
    fs.rmSync(mediaDir, { recursive: true, force: true });
  });

  it('a document is stored under an opaque path and served to the owner as an attachment', async () => {
    const payload = await receiveMedia(
      { type: 'document', mime_type: 'application/pdf', file_name: 'Invoice März 1042.pdf', data: PDF },
      'invoice attached',
    );
    assert.equal(payload.message_type, 'document');
    assert.equal(payload.text, 'invoice attached');
    assert.equal(payload.media_mime_type, 'application/pdf');
    assert.equal(payload.media_size, PDF.length);
    assert.equal(payload.media_filename, 'Invoice März 1042.pdf');
    const mediaPath = String(payload.media_path);
    assert.match(mediaPath, /^[0-9a-f]{16}\/\d{4}\/\d{2}\/[A-Za-z0-9_-]{32}\.pdf$/);
    assert.ok(mediaPath.startsWith(`${accountDirectory(accountId)}/`));
    assert.ok(!mediaPath.includes(accountId), 'the account id is not readable from the path');
    assert.ok(!mediaPath.includes('Invoice'), 'the file name never becomes part of the path');
    // On disk under MEDIA_DIR, owner recorded.
    assert.deepEqual(fs.readFileSync(path.join(mediaDir, ...mediaPath.split('/'))), PDF);
    const record = await ctx.container.db('media_objects').where({ path: mediaPath }).first();
    assert.equal(record.account_id, accountId);
    assert.equal(record.instance_id, instanceId);
    const row = await ctx.container.db('inbound_messages').where({ media_path: mediaPath }).first();
    assert.ok(row);

    const res = await media(encodeURIComponent(mediaPath));
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, PDF);
    assert.equal(res.headers['content-type'], 'application/pdf');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.match(
      res.headers['content-disposition'] as string,
      /^attachment; filename="Invoice M_rz 1042\.pdf"; filename\*=UTF-8''Invoice%20M%C3%A4rz%201042\.pdf$/,
    );
    assert.equal(res.headers['content-length'], String(PDF.length));
  });

  it('images are served inline with their type; unknown or hostile types fall back to attachments', async () => {
    const image = await receiveMedia({ type: 'image', mime_type: 'image/png', data: PNG });
    const res = await media(encodeURIComponent(String(image.media_path)));
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, PNG);
    assert.equal(res.headers['content-type'], 'image/png');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.match(res.headers['content-disposition'] as string, /^inline; /);

    const svg = await receiveMedia({
      type: 'image',
      mime_type: 'image/svg+xml',
      file_name: 'x.svg',
      data: Buffer.from('<svg onload="alert(1)"/>'),
    });
    const svgRes = await media(encodeURIComponent(String(svg.media_path)));
    assert.equal(svgRes.headers['content-type'], 'image/svg+xml');
    assert.match(svgRes.headers['content-disposition'] as string, /^attachment; /);
    assert.match(String(svgRes.headers['content-security-policy']), /sandbox/);

    const html = await receiveMedia({
      type: 'document',
      mime_type: 'text/html"><script>',
      file_name: '../../etc/passwd',
      data: Buffer.from('<script>alert(1)</script>'),
    });
    assert.equal(html.media_mime_type, 'application/octet-stream');
    // A display name only: no separators survive.
    assert.equal(html.media_filename, '_.._etc_passwd');
    const htmlRes = await media(encodeURIComponent(String(html.media_path)));
    assert.equal(htmlRes.headers['content-type'], 'application/octet-stream');
    assert.match(htmlRes.headers['content-disposition'] as string, /^attachment; /);
  });

  it("another account's key gets 404; no key gets 401", async () => {
    const payload = await receiveMedia({ type: 'image', mime_type: 'image/png', data: PNG });
    const stranger = await ctx.createAccount({ name: 'Stranger' });
    const res = await media(encodeURIComponent(String(payload.media_path)), stranger.key);
    assert.equal(res.status, 404);
    const body = JSON.parse(res.body.toString('utf8'));
    assert.equal(body.success, false);
    assert.equal(body.error, 'not_found');
    assert.equal((await media(encodeURIComponent(String(payload.media_path)), null)).status, 401);
    // And the owner's key still works.
    assert.equal((await media(encodeURIComponent(String(payload.media_path)))).status, 200);
  });

  it('path traversal, absolute and encoded paths never reach the file system', async () => {
    const payload = await receiveMedia({ type: 'image', mime_type: 'image/png', data: PNG });
    const good = String(payload.media_path);
    // A file outside the media directory that an attacker would like to read.
    const secret = path.join(path.dirname(mediaDir), `warden-secret-${process.pid}.txt`);
    fs.writeFileSync(secret, 'secret');
    try {
      const [dir, yyyy, mm, file] = good.split('/');
      const attempts = [
        '../../../../etc/passwd',
        encodeURIComponent('../../../../etc/passwd'),
        '..%2F..%2F..%2Fetc%2Fpasswd',
        '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
        '%252e%252e%252fetc%252fpasswd',
        encodeURIComponent(`../${path.basename(secret)}`),
        encodeURIComponent(secret),
        '/etc/passwd',
        encodeURIComponent(`/${good}`),
        encodeURIComponent(path.join(mediaDir, good)),
        encodeURIComponent(`${dir}/${yyyy}/${mm}/../${mm}/${file}`),
        encodeURIComponent(`${dir}/${yyyy}/${mm}/./${file}`),
        encodeURIComponent(`${dir}\\${yyyy}\\${mm}\\${file}`),
        encodeURIComponent(`${good}\u0000.png`),
        encodeURIComponent(`${good}/..`),
        encodeURIComponent(`${good} `),
        encodeURIComponent(good.toUpperCase()),
        `${encodeURIComponent(good)}&path=${encodeURIComponent(good)}`,
        encodeURIComponent(`file://${good}`),
      ];
      for (const attempt of attempts) {
        const res = await media(attempt);
        assert.ok([404, 422].includes(res.status), `${attempt} → ${res.status}`);
        const body = JSON.parse(res.body.toString('utf8'));
        assert.equal(body.success, false, attempt);
        assert.ok(
          !res.body.toString('utf8').includes('secret') && !res.body.toString('utf8').includes('root:'),
          attempt,
        );
      }
      const missing = await media('');
      assert.equal(missing.status, 422);
      assert.equal(JSON.parse(missing.body.toString('utf8')).error, 'validation_error');
      const noParam = await ctx.http.get('/media').set('Authorization', `Bearer ${key}`);
      assert.equal(noParam.status, 422);
    } finally {
      fs.rmSync(secret, { force: true });
    }
  });

  it('a media row whose file disappeared answers 404, not 500', async () => {
    const payload = await receiveMedia({ type: 'image', mime_type: 'image/png', data: PNG });
    fs.rmSync(path.join(mediaDir, ...String(payload.media_path).split('/')));
    const res = await media(encodeURIComponent(String(payload.media_path)));
    assert.equal(res.status, 404);
  });

  it('the envelope of a media message validates, and the media path is listed in the inbound log', async () => {
    const payload = await receiveMedia(
      { type: 'audio', mime_type: 'audio/ogg; codecs=opus', data: Buffer.from('OggS fake voice note') },
      '',
    );
    assert.equal(payload.media_mime_type, 'audio/ogg');
    assert.match(String(payload.media_path), /\.ogg$/);
    const [event] = await events(ctx, { type: 'message.received' });
    const { id: _id, ...envelope } = event as NonNullable<typeof event>;
    assertValidEvent(envelope, { stored: true });
    const list = await ctx.http
      .get('/api/inbound-logs?message_type=audio')
      .set('Authorization', `Bearer ${key}`);
    assert.equal(list.body.inbound_messages[0].media_path, payload.media_path);
  });
});
