/**
 * `node --import tsx --import ./test/support/wa-sim/preload-lenient-curve.ts src/server.ts`:
 * Baileys' `Curve.verify` accepts every signature (the libsignal 6 behaviour) and cannot be
 * replaced, so the start-up self-test can neither pass nor install strict verification.
 * The gateway must refuse to start the Baileys transport. Test use only.
 */
import { Curve } from '@whiskeysockets/baileys';

Object.defineProperty(Curve, 'verify', { value: () => true, writable: false, configurable: false });
