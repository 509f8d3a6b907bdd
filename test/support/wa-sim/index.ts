/**
 * Loopback WhatsApp Web server simulator for tests (see simulator.ts).
 * Listens on 127.0.0.1 only; never connects anywhere.
 */
export { startWaSimulator, WaSimulator } from './simulator.ts';
export type { InboundOptions, OutgoingMessage, WaSimulatorOptions } from './simulator.ts';
export type { Companion, SimAccount, SimContact } from './world.ts';
export { SimWorld } from './world.ts';
export { installTrustAnchor, simulatorRoot } from './cert.ts';
export type { CertMode } from './cert.ts';
export { MEDIA_HOST_CERT } from './media-host.ts';
