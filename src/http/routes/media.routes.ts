import { pipeline } from 'node:stream';
import { Router } from 'express';
import type { Container } from '../../container.ts';
import { NotFoundError, ValidationError } from '../../errors/errors.ts';
import { moduleLogger } from '../../lib/logger.ts';
import { INLINE_IMAGE_TYPES } from '../../media/media-store.ts';
import { accountOf, apiKeyAuth } from '../middleware/auth.ts';
import { handler } from '../middleware/async-handler.ts';
import { describe } from '../../openapi/route-meta.ts';
import { q } from '../../openapi/params.ts';

const log = moduleLogger('media');

/** RFC 6266 / 5987: an ASCII fallback plus the UTF-8 name. */
function contentDisposition(
  kind: 'inline' | 'attachment',
  fileName: string | null,
  fallback: string,
): string {
  const name = fileName ?? fallback;
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\;]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * `GET /media?path=…` (SPEC §8): only the owning account's key opens an object; any other path,
 * well-formed or not, is the same 404 (no probing of other accounts' tokens or of the disk).
 */
export function mediaRoutes(c: Container): Router {
  const router = Router();
  const notFound = () => new NotFoundError(undefined, 'No media exists at this path for this API key.');

  const get = handler(async (req, res) => {
    const raw = (req.query as Record<string, unknown>).path;
    if (raw === undefined || raw === '')
      throw new ValidationError({ errors: [{ field: 'query/path', reason: 'is required' }] });
    if (typeof raw !== 'string') throw notFound();
    const media = await c.media.find(accountOf(res).id, raw);
    if (!media) throw notFound();
    const stream = await c.media.open(media);
    if (!stream) throw notFound();
    const inline = INLINE_IMAGE_TYPES.has(media.mimeType);
    res.status(200);
    res.setHeader('Content-Type', media.mimeType);
    res.setHeader('Content-Length', String(media.size));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader(
      'Content-Disposition',
      contentDisposition(
        inline ? 'inline' : 'attachment',
        media.fileName,
        media.path.split('/').pop() as string,
      ),
    );
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    res.setHeader('Cache-Control', 'private, no-store');
    res.setHeader('ETag', `"${media.sha256}"`);
    // pipeline destroys the file stream (closing its descriptor) if the client goes away.
    pipeline(stream, res, (error) => {
      if (error && (error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE')
        log.warn('media read failed', { error });
    });
  });

  router.get(
    '/media',
    describe({
      summary: 'Download inbound media',
      description:
        'The `media_path` of a `message.received` payload. Only the owning account can read it; any other path is 404.',
      tag: 'Media',
      params: [
        {
          ...q('path', 'The `media_path` from the event payload.'),
          required: true,
          example: 'acc_cLDkJkgqqXm2u3BA/2026/05/08/3EB0B430B6F8F1D0E5F3.jpg',
        },
      ],
      response: { status: 200, description: 'The file, with its MIME type, Content-Length and ETag.', contentType: 'application/octet-stream' },
      errors: ['validation_error', 'not_found'],
    }),
    apiKeyAuth(c.apiKeys,
    c.accountStore),
    get,
  );
  return router;
}
