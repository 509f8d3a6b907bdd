import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import {
  ENVELOPE_SCHEMA,
  EVENT_SCHEMAS,
  exampleEvent,
  publishedEventSchemas,
  STORED_EVENT_REQUEST_ID,
  validateEvent,
} from '../../src/events/event-schemas.ts';
import { EVENT_TYPES } from '../../src/events/event-types.ts';

describe('event JSON Schemas', () => {
  it('one 2020-12 schema per event type, each with a valid example', () => {
    assert.deepEqual(Object.keys(EVENT_SCHEMAS).sort(), [...EVENT_TYPES].sort());
    for (const type of EVENT_TYPES) {
      const schema = EVENT_SCHEMAS[type];
      assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
      assert.equal(schema.title, type);
      assert.ok(
        typeof schema.description === 'string' && schema.description.length > 10,
        `${type} has a description`,
      );
      const example = exampleEvent(type);
      assert.equal(example.event, type);
      const result = validateEvent(example);
      assert.ok(result.valid, `${type} example: ${JSON.stringify(result.errors)}`);
    }
    assert.ok(validateEvent((ENVELOPE_SCHEMA.examples as unknown[])[0]).valid);
  });

  it('schemas compile in a plain strict Ajv 2020 (what receivers will use)', () => {
    const ajv = new Ajv2020({ strict: true, validateFormats: false });
    ajv.compile(ENVELOPE_SCHEMA);
    for (const type of EVENT_TYPES) ajv.compile(EVENT_SCHEMAS[type]);
  });

  it('the published document is JSON and carries every schema', () => {
    const doc = JSON.parse(JSON.stringify(publishedEventSchemas()));
    assert.equal(doc.dialect, 'https://json-schema.org/draft/2020-12/schema');
    assert.deepEqual(Object.keys(doc.events).sort(), [...EVENT_TYPES].sort());
    assert.equal(doc.envelope.$id, 'urn:warden:events:envelope');
  });

  it('rejects envelopes that break the contract', () => {
    const base = exampleEvent('recipient.opted_out');
    const bad = (mutate: (e: Record<string, unknown>) => void) => {
      const e = structuredClone(base);
      mutate(e);
      return validateEvent(e);
    };
    assert.equal(bad((e) => (e.event = 'recipient.opted_sideways')).valid, false, 'unknown event');
    assert.equal(bad((e) => delete e.request_id).valid, false, 'request_id required');
    assert.equal(bad((e) => (e.timestamp = '2026-05-08T10:00:00.123Z')).valid, false, 'second precision');
    assert.equal(bad((e) => (e.extra = 1)).valid, false, 'closed envelope');
    assert.equal(
      bad((e) => ((e.payload as Record<string, unknown>).reason = 'customer_blocked')).valid,
      false,
      'reason const',
    );
    assert.equal(
      bad((e) => delete (e.payload as Record<string, unknown>).from).valid,
      false,
      'payload required',
    );
    const unknownField = bad((e) => ((e.payload as Record<string, unknown>).surprise = true));
    assert.equal(unknownField.valid, false, 'closed payload');
    assert.match(JSON.stringify(unknownField.errors), /surprise/);
    // A payload of another event type under this name fails.
    assert.equal(bad((e) => (e.payload = exampleEvent('message.read').payload)).valid, false);
  });

  it('stored envelopes (rows in `events`) validate without their per-delivery request id', () => {
    const e = exampleEvent('message.received');
    delete e.request_id;
    assert.equal(validateEvent(e).valid, false);
    assert.equal(validateEvent(e, { stored: true }).valid, true);
    assert.match(STORED_EVENT_REQUEST_ID, /^[0-9a-f-]{36}$/);
  });

  it('message payloads follow the reference field list', () => {
    const group = exampleEvent('group.message_received');
    const payload = group.payload as Record<string, unknown>;
    assert.equal(payload.is_group, true);
    assert.ok(Array.isArray(payload.mentions));
    // is_group must agree with the event name
    payload.is_group = false;
    assert.equal(validateEvent(group).valid, false);
    const received = exampleEvent('message.received');
    Object.assign(received.payload as object, {
      wa_forwarded: true,
      wa_forwarding_score: 4,
      wa_frequently_forwarded: true,
      media_path: 'abcdef0123456789/2026/05/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.pdf',
      media_mime_type: 'application/pdf',
      media_size: 1234,
      media_filename: 'invoice.pdf',
      contact_name: 'Rina',
      contact_vcard: 'BEGIN:VCARD\nEND:VCARD',
      latitude: -6.2,
      longitude: 106.8,
      location_name: 'Monas',
      location_address: 'Jakarta',
      from_lid: '150873745412279@lid',
    });
    assert.ok(validateEvent(received).valid, JSON.stringify(validateEvent(received).errors));
    const wrongType = exampleEvent('message.received');
    (wrongType.payload as Record<string, unknown>).message_type = 'carousel';
    assert.equal(validateEvent(wrongType).valid, false);
  });

  it('the outbound payload from a phone-typed message (log_id null, source phone) is valid', () => {
    const sent = exampleEvent('message.sent');
    Object.assign(sent.payload as object, { log_id: null, purpose: null, reference: null, source: 'phone' });
    assert.ok(validateEvent(sent).valid);
  });
});
