export const createSuppressionSchema = {
  $id: 'CreateSuppressionRequest',
  type: 'object',
  required: ['phone'],
  additionalProperties: false,
  properties: {
    phone: { type: 'string', minLength: 3, maxLength: 32 },
    note: { type: 'string', maxLength: 500 },
  },
} as const;

export const adminSuppressionSchema = {
  $id: 'AdminSuppressionRequest',
  type: 'object',
  required: ['phone'],
  additionalProperties: false,
  properties: {
    phone: { type: 'string', minLength: 3, maxLength: 32 },
    account_id: {
      type: ['string', 'null'],
      maxLength: 40,
      description: 'null or absent = gateway-wide block',
    },
    note: { type: 'string', maxLength: 500 },
  },
} as const;
