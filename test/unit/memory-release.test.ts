import assert from 'node:assert/strict';
import { MemoryRelease } from '../../src/lib/memory-release.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('MemoryRelease (full collection after large request bodies)', () => {
  it('collects once the burst is quiet, never while large bodies are in flight, at most once per interval', async () => {
    let runs = 0;
    let busy = true;
    const release = new MemoryRelease(20, 120, () => {
      runs += 1;
    });
    for (let i = 0; i < 5; i++) release.afterLargeBody(() => busy);
    await sleep(60);
    assert.equal(runs, 0, 'bodies still in flight');
    busy = false;
    release.afterLargeBody(() => busy);
    await sleep(60);
    assert.equal(runs, 1, 'one collection after the burst');
    release.afterLargeBody(() => busy);
    await sleep(40);
    assert.equal(runs, 1, 'not again inside the interval');
    await sleep(120);
    assert.equal(runs, 2, 'deferred to the end of the interval, not dropped');
  });
});
