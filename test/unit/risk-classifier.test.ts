import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPolicies, PolicyError } from '../../src/config/policies.ts';
import { loadCorpus } from '../../src/sending/risk/corpus.ts';
import { loadLinearModel, ModelError, type LinearModelFile } from '../../src/sending/risk/linear-model.ts';
import {
  readCues,
  readRiskPolicy,
  MODEL_RECIPES,
  REPLY_MODEL_FILE,
  SEND_MODEL_FILE,
  trainPolicyModels,
} from '../../src/sending/risk/policy-training.ts';
import { createRiskEngine, QUIET_BEHAVIOUR } from '../../src/sending/risk/risk-engine.ts';
import { classifierReading } from '../../src/sending/risk/text-features.ts';
import { TEMPLATE_EVENTS, ThreeCxTemplates } from '../../src/integrations/threecx/threecx-templates.ts';
import { createOptOutMatcher } from '../../src/suppression/opt-out-matcher.ts';

const policies = loadPolicies('./policies');
const risk = createRiskEngine(policies.risk, policies.models);
const optOut = createOptOutMatcher(policies.optOut, policies.models);
const readModel = (name: string) => JSON.parse(fs.readFileSync(path.join('policies', name), 'utf8')) as LinearModelFile;

function score(text: string, purpose = 'transactional') {
  return risk.score({ text, purpose, isGroup: false, hasMedia: false }, QUIET_BEHAVIOUR);
}

describe('policy engine v2: the trained layers', () => {
  describe('reading through disguises', () => {
    const cases: [string, RegExp][] = [
      ['Ｆｌａｓｈ ｓａｌｅ today', /^flash sale today$/],
      ['p r o m o spesial', /^promo spesial$/],
      ['d.i.s.k.o.n 70%', /diskon/],
      ['fr\u200Bee g\u200Bift', /^free gift$/],
      ['prоmо (Cyrillic о)', /^promo cyrillic/],
      ['ب‍ـــخـــصـــم', /بخصم/],
      ['cl1ck h3re n0w', /^click here now$/],
    ];
    for (const [text, expected] of cases) {
      it(`${JSON.stringify(text)} reads as ${expected}`, () => {
        assert.match(classifierReading(text).reading, expected);
      });
    }

    it('finds hosts behind hxxp, [.] and spaced dots', () => {
      assert.deepEqual(classifierReading('go hxxps://bit[.]ly/x9 or wa . me/62811 or paket(dot)xyz/a').hosts, [
        'bit.ly',
        'wa.me',
        'paket.xyz',
      ]);
    });
  });

  describe('the intent classifier inside the risk engine', () => {
    it('refuses a promotion declared as transactional and says why', () => {
      const result = score('FLASH SALE 12.12!! Diskon s/d 80% semua produk skincare, buruan checkout sekarang sebelum kehabisan 🔥🔥 cek di tokoglow.id');
      assert.equal(result.action, 'block');
      assert.ok(result.rules.some((r) => r.id === 'intent_classifier'), JSON.stringify(result.rules));
      assert.equal(result.classifier?.intent, 'marketing');
      assert.ok((result.classifier?.probability ?? 0) >= 0.5);
      assert.ok((result.classifier?.features.length ?? 0) > 0);
    });

    it('refuses phishing that hides its link', () => {
      const result = score('Your parcel is held at customs. Pay the 1.99 USD release fee within 24 hours or it will be returned: hxxps://parcel-release-fee[.]top/pay', 'operational');
      assert.equal(result.action, 'block');
      assert.equal(result.classifier?.intent, 'phishing');
    });

    it('a code with a promotion appended is not trusted as plain OTP traffic', () => {
      const plain = score('Your verification code is 482913. It expires in 10 minutes.', 'authentication');
      assert.ok(plain.rules.some((r) => r.id === 'trust_otp_shape'), JSON.stringify(plain.rules));
      const promo = score('Your code is 482913. Also, this week only: 50% off all plans and double reward points, shop now and tell a friend!', 'authentication');
      assert.ok(!promo.rules.some((r) => r.id === 'trust_otp_shape'), JSON.stringify(promo.rules));
      assert.equal(promo.action, 'block');
    });

    it('sends an ordinary order update, a code and a support answer', () => {
      for (const [text, purpose] of [
        ['Hi Sarah, your order #10293 has shipped and should arrive on Thursday. Track it in your account.', 'transactional'],
        ['Your verification code is 482913. It expires in 10 minutes. Never share it with anyone.', 'authentication'],
        ['Pesanan kakak sudah kami kirim via JNE, resi JNE0123456789. Terima kasih sudah belanja 🙏', 'transactional'],
        ['تم تأكيد موعدك في عيادة الأسنان يوم الأحد الساعة 4:30 مساءً. للإلغاء يرجى الرد قبل 24 ساعة.', 'operational'],
      ] as const) {
        assert.equal(score(text, purpose).action, 'allow', text);
      }
    });

    it('names the classifier in the evidence without codes or numbers from the message', () => {
      const hit = score('Congratulations!!! You WON 5000 USDT. Claim now via t.me/claimbonus8841 before 23:59').rules.find((r) => r.id === 'intent_classifier');
      assert.ok(hit);
      assert.doesNotMatch(hit.evidence ?? '', /8841|5000|23:59/);
    });
  });

  describe("the gateway's own messages", () => {
    const templates = new ThreeCxTemplates();
    const businesses = ['Acme Support', 'Toko Laris Jaya', 'عيادة النور', 'Harbour Vets', 'Klinik Sehat Sentosa'];
    for (const event of TEMPLATE_EVENTS) {
      it(`the default 3CX ${event} reply is sent, whatever the business is called`, () => {
        for (const business_name of businesses) {
          const text = templates.render(event, {
            customer_phone: '+6281234567890',
            agent_extension: '104',
            queue: 'Billing',
            call_time: '14:32',
            business_name,
          });
          const result = score(text, 'support');
          assert.equal(result.action, 'allow', `${text} → ${JSON.stringify(result)}`);
        }
      });
    }
    it('the opt-out and opt-in confirmations are sent in every language', () => {
      for (const language of policies.optOut.languages) {
        for (const text of Object.values(language.confirmations)) {
          const result = score(text, 'transactional');
          assert.equal(result.action, 'allow', `${text} → ${JSON.stringify(result)}`);
        }
      }
    });
  });

  describe('the reply detector beside the keyword lists', () => {
    const optOuts = ['S T O P', 'st0p', 'UNREG', 'ستوب', 'انسبسكرايب', 'tolong jangan kirim2 pesan lagi ke nomor ini ya kak'];
    for (const text of optOuts) {
      it(`${JSON.stringify(text)} → opt_out`, () => assert.equal(optOut.classify(text)?.kind, 'opt_out'));
    }
    const ordinary = ['please cancel my order', "don't stop", 'stop by the store tomorrow', 'motor saya berhenti di jalan', 'لا', 'tidak', 'الغي الاوردر بتاعي', 'stop, wrong size, can I exchange it?'];
    for (const text of ordinary) {
      it(`${JSON.stringify(text)} is not an opt-out`, () => assert.notEqual(optOut.classify(text)?.kind, 'opt_out'));
    }
    it('reports model matches as tier classifier with keyword "classifier" and a language', () => {
      const match = optOut.classify('bro seriously stop sending me these messages every single day, i never signed up for this');
      assert.equal(match?.kind, 'opt_out');
      assert.equal(match?.language, 'en');
    });
  });

  describe('model files', () => {
    it('refuse to load when a byte of the weights changed (checksum)', () => {
      const file = readModel(REPLY_MODEL_FILE);
      const bytes = Buffer.from(file.weights, 'base64');
      bytes[10] = (bytes[10] as number) ^ 1;
      assert.throws(() => loadLinearModel({ ...file, weights: bytes.toString('base64') }), (e: unknown) => e instanceof ModelError && /checksum mismatch/.test((e as Error).message));
    });

    it('stop start-up naming the file when a model is missing or tampered with', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-policies-'));
      for (const f of fs.readdirSync('policies')) if (f.endsWith('.json')) fs.copyFileSync(path.join('policies', f), path.join(dir, f));
      fs.cpSync('policies/schema', path.join(dir, 'schema'), { recursive: true });
      const tampered = readModel(SEND_MODEL_FILE);
      tampered.bias[0] = (tampered.bias[0] as number) + 1;
      fs.writeFileSync(path.join(dir, SEND_MODEL_FILE), JSON.stringify(tampered));
      fs.rmSync(path.join(dir, REPLY_MODEL_FILE));
      assert.throws(
        () => loadPolicies(dir),
        (e: unknown) =>
          e instanceof PolicyError &&
          e.problems.some((p) => p.startsWith(`${SEND_MODEL_FILE}: /: checksum mismatch`)) &&
          e.problems.some((p) => p.startsWith(`${REPLY_MODEL_FILE}: model file not found`)),
      );
    });

    it('are regenerated byte for byte from the corpus by npm run policy:train', function () {
      this.timeout(120_000);
      const corpus = loadCorpus('policies/corpus');
      const send = readModel(SEND_MODEL_FILE);
      const models = trainPolicyModels(corpus, readRiskPolicy('policies'), readCues('policies'), send.version);
      const digest = (text: string) => createHash('sha256').update(text).digest('hex');
      assert.deepEqual(Object.keys(models), MODEL_RECIPES.map((r) => r.file));
      for (const [name, model] of Object.entries(models)) {
        assert.equal(
          digest(`${JSON.stringify(model)}\n`),
          digest(fs.readFileSync(path.join('policies', name), 'utf8')),
          `${name} is not what the corpus trains: run npm run policy:train`,
        );
      }
    });
  });
});
