/** `npm run policy:schema`: writes `policies/schema/risk-rules.schema.json` from risk-rules.schema.ts. */
import fs from 'node:fs';
import { riskRulesSchemaText } from './risk-rules.schema.ts';

const file = new URL('../../../policies/schema/risk-rules.schema.json', import.meta.url);
fs.writeFileSync(file, riskRulesSchemaText());
console.log(`wrote ${file.pathname}`);
