import type { ErrorRequestHandler, Router } from 'express';
import { maskPath, moduleLogger } from '../../lib/logger.ts';
import { publicErrorFor } from '../middleware/framework-errors.ts';
import type { ConsoleViews } from './views.ts';

const log = moduleLogger('admin-console');

/**
 * The console's last handlers, registered after every page: an HTML 404 for an unknown console
 * address (a redirect to the sign-in page without a session), and HTML error pages for what the
 * pages throw. Requests outside the console pass through to the JSON handlers.
 */
export function registerConsoleErrorPages(
  router: Router,
  views: ConsoleViews,
  /** Where the error page's "back" link may point (`ConsoleSession.safeNext`). */
  safeNext: (value: string) => string,
): void {
  router.use((req, res, next) => {
    if (!res.locals.adminConsole) return next();
    if (!res.locals.consoleSession) return res.redirect(303, '/admin/login');
    views.render(
      res,
      'error',
      {
        title: 'Not found',
        heading: 'Page not found',
        message: 'There is no console page at this address.',
        status: 404,
      },
      404,
    );
  });

  const consoleErrors: ErrorRequestHandler = (error, req, res, next) => {
    if (!res.locals.adminConsole || res.headersSent) return next(error);
    const mapped = publicErrorFor(error);
    if (mapped && mapped.status === 413)
      return views.render(
        res,
        'error',
        { title: 'Too large', heading: 'Form too large', message: 'The form was too large.', status: 413 },
        413,
      );
    if (mapped) {
      const errors = (mapped.details?.errors as { field: string; reason: string }[] | undefined) ?? [];
      return views.render(
        res,
        'error',
        {
          title: 'Not done',
          heading: mapped.status === 404 ? 'Not found' : mapped.status === 409 ? 'Nothing to do' : 'Please check the form',
          message: mapped.message,
          errors,
          status: mapped.status,
          back: safeNext(String(req.get('referer') ?? '').replace(/^https?:\/\/[^/]+/, '')),
        },
        mapped.status,
      );
    }
    log.error('console error', { path: maskPath(req.path), error });
    views.render(
      res,
      'error',
      { title: 'Error', heading: 'Something went wrong', message: 'The request could not be processed.', status: 500 },
      500,
    );
  };
  router.use(consoleErrors);
}
