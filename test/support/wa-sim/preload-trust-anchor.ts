/**
 * `node --import tsx --import ./test/support/wa-sim/preload-trust-anchor.ts src/server.ts`:
 * makes a real gateway process trust the simulator's (deterministic) certificate root, so it can
 * log in to a `startWaSimulator()` running in the test process. Test use only.
 */
import { installTrustAnchor, simulatorRoot } from './cert.ts';

installTrustAnchor(simulatorRoot().public);
