import path from 'node:path';

/**
 * How the browser tests start Chromium (Debian's, driven by playwright-core): no sandbox or GPU
 * in CI containers, no background networking, and a host-resolver rule under which nothing but
 * 127.0.0.1 resolves, so a page can never reach beyond loopback.
 */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-default-apps',
  '--disable-extensions',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
];
/** Screenshots land here (gitignored), for people to look at after a run. */
export const ARTIFACTS = path.resolve('test/artifacts');
