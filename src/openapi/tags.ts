/** The OpenAPI document's tags, in the order the docs' endpoint pages show them. */
export const TAGS = [
  { name: 'Messaging', description: 'Send messages through the ResponsibleMessageSender.' },
  { name: 'Instances', description: 'Link WhatsApp numbers: QR code, pairing code, disconnect, destroy.' },
  {
    name: 'Sandbox',
    description: 'Simulated phone controls. Only mounted when the gateway runs with TRANSPORT=sandbox.',
  },
  { name: 'Logs and quota', description: 'The outbound decision log, the inbound log and plan usage.' },
  { name: 'Suppressions', description: 'Numbers that must not be messaged (opt-outs and blocks).' },
  { name: 'Webhooks', description: 'Event subscriptions, delivery log, replays and secret rotation.' },
  { name: 'Events', description: 'The published JSON Schemas of webhook events.' },
  { name: 'Media', description: 'Download inbound media referenced by `media_path`.' },
  { name: '3CX', description: '3CX middleware: integration settings and the 3CX webhook receiver.' },
  { name: 'Admin: accounts', description: 'Accounts, plans, reviewed limit overrides and API keys.' },
  { name: 'Admin: review', description: 'Pause-for-review, the decision log and the audit log.' },
  { name: 'Admin: suppressions', description: 'Account and gateway-wide blocks.' },
  { name: 'Operations', description: 'Health, the OpenAPI document and Prometheus metrics.' },
] as const;

export type Tag = (typeof TAGS)[number]['name'];
