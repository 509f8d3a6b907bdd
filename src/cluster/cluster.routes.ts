import { Router, type RequestHandler } from 'express';
import type { Container } from '../container.ts';
import { ApiError } from '../errors/api-error.ts';
import { ValidationError } from '../errors/errors.ts';
import { adminAuth } from '../http/middleware/auth.ts';
import { handler } from '../http/middleware/async-handler.ts';
import { jsonBody } from '../http/middleware/json-body.ts';
import { secretsEqual } from '../lib/secrets-equal.ts';
import { TransportSendError } from '../transport/transport.ts';
import {
  ClusteredTransport,
  FORWARD_OPS,
  type ForwardOp,
  NotOwnerError,
  SECRET_HEADER,
} from './clustered-transport.ts';
import { clusterNodes } from './cluster-nodes.ts';
import { LeaseLostError } from './lease-store.ts';
import { describe } from '../openapi/route-meta.ts';
import { RESPONSES } from '../openapi/response-schemas.ts';

/** A node-to-node call without the cluster secret. */
export class InvalidClusterSecretError extends ApiError {
  readonly status = 401;
  readonly code = 'invalid_cluster_secret';
  constructor() {
    super('A valid cluster secret is required.');
  }
}

/** The node asked does not own the instance: the caller looks the owner up again (never a second hop). */
export class NotOwnerApiError extends ApiError {
  readonly status = 409;
  readonly code = 'not_owner';
  constructor() {
    super('This node does not own the instance.');
  }
}

/**
 * `GET /admin/api/nodes` (SPEC §12), and the node-to-node routes: `POST /internal/cluster/call`
 * runs a forwarded instance call on the owner, `POST /internal/cluster/wake` asks a node to run
 * its claim round now (a peer handed instances over). Both need the cluster secret.
 */
export function clusterRoutes(c: Container): Router {
  const router = Router();
  const admin = adminAuth(c.adminToken, c.authFailures);

  router.get(
    '/admin/api/nodes',
    describe({
      summary: 'Gateway nodes sharing this database',
      description:
        'Every node that has joined (several nodes on one MySQL/MariaDB database): its address, whether it is alive, and how many instances it owns. On SQLite: this one process.',
      tag: 'Admin: review',
      response: { status: 200, description: 'The nodes.', ...RESPONSES.adminNodes },
    }),
    admin,
    handler(async (_req, res) => {
      res.json({ success: true, nodes: await clusterNodes(c) });
    }),
  );

  const transport = c.transport;
  const node = c.cluster;
  if (!node || !(transport instanceof ClusteredTransport)) return router;

  const peer: RequestHandler = (req, _res, next) => {
    const presented = req.get(SECRET_HEADER);
    if (!node.started || !presented || !secretsEqual(presented, node.secret))
      return next(new InvalidClusterSecretError());
    next();
  };

  router.post(
    '/internal/cluster/call',
    peer,
    ...jsonBody('32mb', c.bodyBudget),
    handler(async (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const op = body.op as ForwardOp;
      const instanceId = body.instance_id;
      if (!FORWARD_OPS.includes(op) || typeof instanceId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(instanceId))
        throw new ValidationError({ errors: [{ field: '/op', reason: 'unknown operation or instance' }] });
      const args = (body.args && typeof body.args === 'object' ? body.args : {}) as Record<string, unknown>;
      try {
        const result = await transport.execute(op, instanceId, args);
        res.json({ success: true, result });
      } catch (error) {
        if (error instanceof NotOwnerError || error instanceof LeaseLostError) throw new NotOwnerApiError();
        if (error instanceof TransportSendError) {
          res.status(502).json({
            success: false,
            error: 'transport_send_failed',
            message: error.message,
            reason: error.reason,
          });
          return;
        }
        throw error;
      }
    }),
  );

  router.post(
    '/internal/cluster/wake',
    peer,
    handler(async (_req, res) => {
      node.wake();
      res.json({ success: true });
    }),
  );
  return router;
}
