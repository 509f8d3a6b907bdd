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
export { writePairedAuthFixture } from './auth-fixture.ts';
export type { PairedFixtureOptions } from './auth-fixture.ts';
export { mysqlTestDb, sqliteTestDb } from './test-db.ts';
export type { TestDb } from './test-db.ts';
export { EventRecorder } from './event-recorder.ts';
export { simTransport, testLogger, TEST_WA_VERSION } from './harness.ts';
