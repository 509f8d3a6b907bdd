import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import type { Knex } from 'knex';
import { isUniqueViolation } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';

/** A stored media object. `path` is the opaque token customers see as `media_path`. */
export interface StoredMedia {
  path: string;
  accountId: string;
  instanceId: string | null;
  mimeType: string;
  size: number;
  fileName: string | null;
  sha256: string;
  createdAt: number;
}

export interface PutMediaInput {
  accountId: string;
  instanceId: string | null;
  data: Buffer;
  mimeType: string;
  fileName?: string | null;
}

/**
 * Where inbound media live (SPEC §8). Pluggable: the local directory is the embedded default;
 * an object-store implementation only has to keep the same contract: `find` answers only for
 * the owning account, and nothing derived from a request ever becomes a storage key.
 */
export interface MediaStore {
  put(input: PutMediaInput): Promise<StoredMedia>;
  /** The object if `mediaPath` is well formed, stored, and owned by `accountId`; else null. */
  find(accountId: string, mediaPath: string): Promise<StoredMedia | null>;
  /** A stream of the bytes of an object returned by `find`/`put` (null when the bytes are gone). */
  open(media: StoredMedia): Promise<Readable | null>;
  remove(media: StoredMedia): Promise<void>;
}

const TABLE = 'media_objects';
const openFd = promisify(fs.open);

/** `<account hash:16 hex>/<yyyy>/<mm>/<random:32 base64url>.<ext>`: nothing else is ever a path. */
export const MEDIA_PATH_RE = /^[0-9a-f]{16}\/\d{4}\/(?:0[1-9]|1[0-2])\/[A-Za-z0-9_-]{32}\.[a-z0-9]{1,8}$/;

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/heic': 'heic',
  'video/mp4': 'mp4',
  'video/3gpp': '3gp',
  'video/quicktime': 'mov',
  'audio/ogg': 'ogg',
  'audio/opus': 'opus',
  'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a',
  'audio/aac': 'aac',
  'audio/amr': 'amr',
  'application/pdf': 'pdf',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.ms-powerpoint': 'ppt',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
  'application/zip': 'zip',
  'text/plain': 'txt',
  'text/csv': 'csv',
  'text/vcard': 'vcf',
};

/** Images a browser may show inline; everything else (SVG included) is served as an attachment. */
export const INLINE_IMAGE_TYPES: ReadonlySet<string> = new Set([
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
]);

/** `Audio/OGG; codecs=opus` → `audio/ogg`; anything that is not a plain type/subtype → octet-stream. */
export function sanitizeMimeType(value: string | null | undefined): string {
  const base = String(value ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase();
  return base && /^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$/.test(base)
    ? base
    : 'application/octet-stream';
}

/** A display name only: separators, control characters and leading dots go. */
export function sanitizeFileName(value: string | null | undefined): string | null {
  if (!value) return null;
  const cleaned = Array.from(value, (ch) => {
    const code = ch.codePointAt(0) ?? 0;
    return code < 0x20 || code === 0x7f || ch === '/' || ch === '\\' ? '_' : ch;
  })
    .join('')
    .replace(/^\.+/, '')
    .trim()
    .slice(0, 200);
  return cleaned === '' ? null : cleaned;
}

export function accountDirectory(accountId: string): string {
  return createHash('sha256').update(`warden-media:${accountId}`).digest('hex').slice(0, 16);
}

function fromRow(row: Record<string, unknown>): StoredMedia {
  return {
    path: String(row.path),
    accountId: String(row.account_id),
    instanceId: (row.instance_id as string | null) ?? null,
    mimeType: String(row.mime_type),
    size: Number(row.size),
    fileName: (row.file_name as string | null) ?? null,
    sha256: String(row.sha256),
    createdAt: Number(row.created_at),
  };
}

/**
 * Local-directory media store under `MEDIA_DIR`. The bytes are written to a random name (write to
 * a temporary file, then rename), the owner is recorded in `media_objects`, and reads resolve the
 * file from the stored record, never from the request, with a final containment check.
 */
export class LocalMediaStore implements MediaStore {
  private readonly root: string;

  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    root: string,
  ) {
    this.root = path.resolve(root);
  }

  /** The file of a stored path, or null if it would land outside the root (it never should). */
  private fileOf(mediaPath: string): string | null {
    if (!MEDIA_PATH_RE.test(mediaPath)) return null;
    const file = path.resolve(this.root, ...mediaPath.split('/'));
    return file.startsWith(this.root + path.sep) ? file : null;
  }

  async put(input: PutMediaInput): Promise<StoredMedia> {
    const now = this.clock.now();
    const mimeType = sanitizeMimeType(input.mimeType);
    const ext = EXTENSIONS[mimeType] ?? 'bin';
    const yyyy = String(now.getUTCFullYear()).padStart(4, '0');
    const mm = String(now.getUTCMonth() + 1).padStart(2, '0');
    const sha256 = createHash('sha256').update(input.data).digest('hex');
    for (let attempt = 0; ; attempt++) {
      const mediaPath = `${accountDirectory(input.accountId)}/${yyyy}/${mm}/${randomBytes(24).toString('base64url')}.${ext}`;
      const file = this.fileOf(mediaPath);
      if (!file) throw new Error('media path outside the media directory');
      await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
      await fs.promises.writeFile(tmp, input.data, { mode: 0o600, flag: 'wx' });
      await fs.promises.rename(tmp, file);
      const record: StoredMedia = {
        path: mediaPath,
        accountId: input.accountId,
        instanceId: input.instanceId,
        mimeType,
        size: input.data.length,
        fileName: sanitizeFileName(input.fileName),
        sha256,
        createdAt: now.getTime(),
      };
      try {
        await this.db(TABLE).insert({
          path: record.path,
          account_id: record.accountId,
          instance_id: record.instanceId,
          mime_type: record.mimeType,
          size: record.size,
          file_name: record.fileName,
          sha256: record.sha256,
          created_at: record.createdAt,
        });
        return record;
      } catch (error) {
        // 192 random bits colliding is not going to happen; if it does, never overwrite an owner.
        if (!isUniqueViolation(error) || attempt >= 2) {
          await fs.promises.rm(file, { force: true });
          throw error;
        }
      }
    }
  }

  async find(accountId: string, mediaPath: string): Promise<StoredMedia | null> {
    if (typeof mediaPath !== 'string' || !MEDIA_PATH_RE.test(mediaPath)) return null;
    const row = await this.db(TABLE).where({ path: mediaPath, account_id: accountId }).first();
    return row ? fromRow(row) : null;
  }

  async open(media: StoredMedia): Promise<Readable | null> {
    const file = this.fileOf(media.path);
    if (!file) return null;
    let fd: number;
    try {
      fd = await openFd(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ELOOP') return null;
      throw error;
    }
    // The stream owns the descriptor and closes it on end, error or destroy.
    return fs.createReadStream('', { fd, autoClose: true });
  }

  async remove(media: StoredMedia): Promise<void> {
    const file = this.fileOf(media.path);
    await this.db(TABLE).where({ path: media.path }).delete();
    if (file) await fs.promises.rm(file, { force: true });
  }
}
