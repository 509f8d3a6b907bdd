import type { Container } from '../container.ts';

export interface NodeView {
  id: string;
  url: string | null;
  alive: boolean;
  draining: boolean;
  started_at?: string;
  last_heartbeat_at: string;
  instances: number;
}

/** The gateway nodes as the admin API and the console show them (one entry on a single node). */
export async function clusterNodes(c: Container): Promise<NodeView[]> {
  const node = c.cluster;
  if (!node?.started) {
    const instances = await c.instanceStore.list();
    return [
      {
        id: c.nodeId(),
        url: null,
        alive: true,
        draining: false,
        last_heartbeat_at: c.clock.now().toISOString(),
        instances: instances.length,
      },
    ];
  }
  const nodes = await node.leases.listNodes(node.config.leaseMs);
  return nodes.map((n) => ({
    id: n.id,
    url: n.url,
    alive: n.alive,
    draining: n.draining,
    started_at: new Date(n.startedAt).toISOString(),
    last_heartbeat_at: new Date(n.heartbeatAt).toISOString(),
    instances: n.instances,
  }));
}
