import fs from 'node:fs';

/** Resident set size of a process in MB, from /proc (Linux). */
export function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

export interface BurstResult {
  beforeMb: number;
  peakMb: number;
  afterMb: number;
  statuses: Record<number, number>;
  firstRefusalMs: number | null;
  totalMs: number;
}

/**
 * `count` concurrent POSTs of the same body to `url` while sampling the target's RSS every 20 ms;
 * `after` is the lowest RSS seen over `settleMs` once every answer has arrived; with
 * `settledAboveStartMb`, settling ends as soon as RSS is back within that much of the start.
 */
export async function rssBurst(options: {
  pid: number;
  url: string;
  headers: Record<string, string>;
  body: Buffer;
  count: number;
  settleMs?: number;
  settledAboveStartMb?: number;
}): Promise<BurstResult> {
  const beforeMb = rssMb(options.pid);
  let peakMb = beforeMb;
  const sampler = setInterval(() => {
    peakMb = Math.max(peakMb, rssMb(options.pid));
  }, 20);
  const started = performance.now();
  let firstRefusalMs: number | null = null;
  const statuses: Record<number, number> = {};
  await Promise.all(
    Array.from({ length: options.count }, async () => {
      try {
        const res = await fetch(options.url, { method: 'POST', headers: options.headers, body: options.body });
        await res.arrayBuffer();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status === 429 && firstRefusalMs === null) firstRefusalMs = Math.round(performance.now() - started);
      } catch {
        statuses[0] = (statuses[0] ?? 0) + 1;
      }
    }),
  );
  const totalMs = Math.round(performance.now() - started);
  let afterMb = rssMb(options.pid);
  const settleUntil = Date.now() + (options.settleMs ?? 3000);
  const settled = () => options.settledAboveStartMb !== undefined && afterMb - beforeMb <= options.settledAboveStartMb;
  while (Date.now() < settleUntil && !settled()) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    afterMb = Math.min(afterMb, rssMb(options.pid));
  }
  clearInterval(sampler);
  peakMb = Math.max(peakMb, afterMb);
  return { beforeMb, peakMb, afterMb, statuses, firstRefusalMs, totalMs };
}

/** A `POST /api/send-message` body of about `mb` MB: a PDF document, base64-encoded. */
export function largeSendBody(instanceId: string, mb: number): Buffer {
  const pdf = Buffer.alloc(Math.floor((mb * 1024 * 1024 * 3) / 4), 0x41);
  pdf.write('%PDF-1.4\n', 0);
  return Buffer.from(
    JSON.stringify({
      instance_id: instanceId,
      phone: '+6281234567890',
      message_purpose: 'transactional',
      media_type: 'document',
      mime_type: 'application/pdf',
      file_name: 'invoice.pdf',
      media: pdf.toString('base64'),
    }),
  );
}
