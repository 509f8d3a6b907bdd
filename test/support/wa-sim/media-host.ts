/**
 * The simulator's media host ("mmg"): HTTPS on 127.0.0.1 with a fixed test certificate
 * (fixtures/media-host.*.pem, CN "wa-sim media host (test only)", SAN IP:127.0.0.1).
 * Baileys uploads encrypted media here (the `media_conn` IQ points at it) and downloads inbound
 * media from here. Encryption follows WhatsApp's scheme (AES-256-CBC + truncated HMAC).
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { getMediaKeys, type proto } from '@whiskeysockets/baileys';

const fixtures = new URL('./fixtures/', import.meta.url);
export const MEDIA_HOST_CERT = readFileSync(new URL('media-host.cert.pem', fixtures));
const MEDIA_HOST_KEY = readFileSync(new URL('media-host.key.pem', fixtures));

type Kind = 'image' | 'video' | 'audio' | 'document' | 'sticker';

export interface StoredMedia {
  url: string;
  directPath: string;
  mediaKey: Buffer;
  fileSha256: Buffer;
  fileEncSha256: Buffer;
  fileLength: number;
}

export interface MediaHost {
  /** `127.0.0.1:<port>`, as handed out in media_conn */
  hostname: string;
  /** PEM of the certificate to trust */
  ca: Buffer;
  /** bytes uploaded by clients, by direct path */
  readonly uploads: Map<string, Buffer>;
  store(data: Buffer, kind: Kind): Promise<StoredMedia>;
  /** Decrypt the media a message points at (uploaded earlier), if any. */
  decryptFor(message: proto.IMessage): Promise<Buffer | undefined>;
  close(): Promise<void>;
}

function mediaContent(m: proto.IMessage): { content: proto.Message.IImageMessage; kind: Kind } | undefined {
  const doc = m.documentMessage ?? m.documentWithCaptionMessage?.message?.documentMessage;
  if (m.imageMessage) return { content: m.imageMessage, kind: 'image' };
  if (m.videoMessage) return { content: m.videoMessage as proto.Message.IImageMessage, kind: 'video' };
  if (m.audioMessage) return { content: m.audioMessage as proto.Message.IImageMessage, kind: 'audio' };
  if (doc) return { content: doc as proto.Message.IImageMessage, kind: 'document' };
  if (m.stickerMessage) return { content: m.stickerMessage as proto.Message.IImageMessage, kind: 'sticker' };
  return undefined;
}

export async function startMediaHost(): Promise<MediaHost> {
  const files = new Map<string, Buffer>();
  const uploads = new Map<string, Buffer>();
  let counter = 0;
  const server = https.createServer({ cert: MEDIA_HOST_CERT, key: MEDIA_HOST_KEY }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    if (req.method === 'POST' && url.pathname.startsWith('/mms/')) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const directPath = `/v/t62.sim/${++counter}-${randomBytes(6).toString('hex')}.enc`;
        const body = Buffer.concat(chunks);
        files.set(directPath, body);
        uploads.set(directPath, body);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ url: `https://${hostname}${directPath}`, direct_path: directPath }));
      });
      return;
    }
    const file = files.get(url.pathname);
    if (req.method === 'GET' && file) {
      res.setHeader('content-type', 'application/octet-stream');
      res.setHeader('content-length', String(file.length));
      res.end(file);
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const hostname = `127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    hostname,
    ca: MEDIA_HOST_CERT,
    uploads,
    async store(data, kind) {
      const mediaKey = randomBytes(32);
      const { iv, cipherKey, macKey } = await getMediaKeys(mediaKey, kind);
      const cipher = createCipheriv('aes-256-cbc', cipherKey, iv);
      const enc = Buffer.concat([cipher.update(data), cipher.final()]);
      const mac = createHmac('sha256', macKey!).update(iv).update(enc).digest().subarray(0, 10);
      const body = Buffer.concat([enc, mac]);
      const directPath = `/v/t62.sim/in-${++counter}-${randomBytes(6).toString('hex')}.enc`;
      files.set(directPath, body);
      return {
        url: `https://${hostname}${directPath}`,
        directPath,
        mediaKey,
        fileSha256: createHash('sha256').update(data).digest(),
        fileEncSha256: createHash('sha256').update(body).digest(),
        fileLength: data.length,
      };
    },
    async decryptFor(message) {
      const found = mediaContent(message);
      const directPath = found?.content.directPath;
      const mediaKey = found?.content.mediaKey;
      if (!found || !directPath || !mediaKey) {
        return undefined;
      }
      const body = files.get(directPath);
      if (!body) {
        return undefined;
      }
      const { iv, cipherKey, macKey } = await getMediaKeys(Buffer.from(mediaKey), found.kind);
      const enc = body.subarray(0, body.length - 10);
      const mac = body.subarray(body.length - 10);
      const expected = createHmac('sha256', macKey!).update(iv).update(enc).digest().subarray(0, 10);
      if (!expected.equals(mac)) {
        throw new Error('media MAC mismatch');
      }
      const decipher = createDecipheriv('aes-256-cbc', cipherKey, iv);
      return Buffer.concat([decipher.update(enc), decipher.final()]);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
