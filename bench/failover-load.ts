/**
 * Load generator for `bench/failover.ts`, in its own process: sends unique transactional texts
 * round-robin over every node and instance, a few at a time, and prints one JSON line per
 * answer. Stops on SIGTERM.
 */
const nodes = String(process.env.LOAD_NODES).split(',');
const instances = String(process.env.LOAD_INSTANCES).split(',');
const key = String(process.env.LOAD_KEY);
const phone = String(process.env.LOAD_PHONE);
const concurrency = Number(process.env.LOAD_CONCURRENCY ?? 3);
let stopping = false;
let seq = 0;

process.on('SIGTERM', () => {
  stopping = true;
});

async function worker(): Promise<void> {
  while (!stopping) {
    const n = seq++;
    const node = nodes[n % nodes.length] as string;
    const instance = instances[Math.floor(n / nodes.length) % instances.length] as string;
    const text = `Your order #L${n} has shipped.`;
    const started = Date.now();
    try {
      const res = await fetch(`${node}/api/send-message`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ instance_id: instance, phone, message: text, message_purpose: 'transactional' }),
      });
      const body = (await res.json().catch(() => ({}))) as { details?: { reason?: string } };
      process.stdout.write(
        `${JSON.stringify({ status: res.status, text, reason: body.details?.reason ?? null, ms: Date.now() - started })}\n`,
      );
    } catch {
      // the node's process is down: a load balancer would route elsewhere
      process.stdout.write(`${JSON.stringify({ status: 0, text, reason: 'node_down', ms: Date.now() - started })}\n`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

await Promise.all(Array.from({ length: concurrency }, () => worker()));
process.stdout.write(`${JSON.stringify({ done: true })}\n`);
