import assert from 'node:assert/strict';
import { loadPolicies } from '../../src/config/policies.ts';
import fs from 'node:fs';
import type { LinearModel } from '../../src/sending/risk/linear-model.ts';
import {
  createOptOutMatcher,
  type OptOutKind,
  type OptOutPolicy,
} from '../../src/suppression/opt-out-matcher.ts';

const policy = JSON.parse(
  fs.readFileSync(new URL('../../policies/opt-out.json', import.meta.url), 'utf8'),
) as OptOutPolicy;
const matcher = createOptOutMatcher(policy, loadPolicies('./policies').models);

type Expected = { kind: OptOutKind; language: string; tier?: 'keyword' | 'phrase'; keyword?: string };

const positives: [string, Expected][] = [
  // English keywords, however they are typed
  ['STOP', { kind: 'opt_out', language: 'en', tier: 'keyword', keyword: 'stop' }],
  ['STOP!!', { kind: 'opt_out', language: 'en', keyword: 'stop' }],
  [' stop ', { kind: 'opt_out', language: 'en', keyword: 'stop' }],
  ['Stop 🛑', { kind: 'opt_out', language: 'en', keyword: 'stop' }],
  ['stop.', { kind: 'opt_out', language: 'en', keyword: 'stop' }],
  ['ＳＴＯＰ', { kind: 'opt_out', language: 'en', keyword: 'stop' }],
  ['St\u200Bop', { kind: 'opt_out', language: 'en', keyword: 'stop' }],
  ['STOP STOP STOP', { kind: 'opt_out', language: 'en', keyword: 'stop' }],
  ['Stop please', { kind: 'opt_out', language: 'en', keyword: 'stop' }],
  ['please stop!', { kind: 'opt_out', language: 'en', keyword: 'stop' }],
  ['STOPALL', { kind: 'opt_out', language: 'en', keyword: 'stopall' }],
  ['Stop all', { kind: 'opt_out', language: 'en', keyword: 'stop all' }],
  ['Unsubscribe', { kind: 'opt_out', language: 'en', keyword: 'unsubscribe' }],
  ['CANCEL', { kind: 'opt_out', language: 'en', keyword: 'cancel' }],
  ['End.', { kind: 'opt_out', language: 'en', keyword: 'end' }],
  ['quit', { kind: 'opt_out', language: 'en', keyword: 'quit' }],
  ['REVOKE', { kind: 'opt_out', language: 'en', keyword: 'revoke' }],
  ['opt-out', { kind: 'opt_out', language: 'en', keyword: 'opt out' }],
  ['OPTOUT', { kind: 'opt_out', language: 'en', keyword: 'optout' }],
  // English revocation phrases
  ['please stop messaging me', { kind: 'opt_out', language: 'en', tier: 'phrase' }],
  ["don't message me again", { kind: 'opt_out', language: 'en', tier: 'phrase' }],
  ['Do not contact me', { kind: 'opt_out', language: 'en', tier: 'phrase' }],
  ['Remove me from your list, thanks', { kind: 'opt_out', language: 'en', tier: 'phrase' }],
  ['No more messages please', { kind: 'opt_out', language: 'en', tier: 'phrase' }],
  ['I want to unsubscribe', { kind: 'opt_out', language: 'en', tier: 'phrase' }],
  ['I would like to stop receiving these messages', { kind: 'opt_out', language: 'en', tier: 'phrase' }],
  // Indonesian
  ['berhenti', { kind: 'opt_out', language: 'id', tier: 'keyword', keyword: 'berhenti' }],
  ['BERHENTI.', { kind: 'opt_out', language: 'id', keyword: 'berhenti' }],
  ['Berhenti ya kak', { kind: 'opt_out', language: 'id', keyword: 'berhenti' }],
  ['tolong berhenti', { kind: 'opt_out', language: 'id', keyword: 'berhenti' }],
  ['Berhenti berlangganan', { kind: 'opt_out', language: 'id', keyword: 'berhenti berlangganan' }],
  ['unsub', { kind: 'opt_out', language: 'id', keyword: 'unsub' }],
  ['jangan kirim lagi', { kind: 'opt_out', language: 'id', keyword: 'jangan kirim lagi' }],
  ['Jangan kirim pesan lagi ya', { kind: 'opt_out', language: 'id', tier: 'phrase' }],
  ['jangan hubungi saya lagi', { kind: 'opt_out', language: 'id' }],
  ['Tolong jangan hubungi saya', { kind: 'opt_out', language: 'id', tier: 'phrase' }],
  ['stop kirim pesan', { kind: 'opt_out', language: 'id' }],
  ['hapus nomor saya dari daftar', { kind: 'opt_out', language: 'id', tier: 'phrase' }],
  ['saya tidak mau menerima pesan lagi', { kind: 'opt_out', language: 'id', tier: 'phrase' }],
  // Arabic, with and without hamza, harakat and tatweel
  ['إيقاف', { kind: 'opt_out', language: 'ar', tier: 'keyword', keyword: 'إيقاف' }],
  ['ايقاف', { kind: 'opt_out', language: 'ar', keyword: 'إيقاف' }],
  ['إيـــقاف', { kind: 'opt_out', language: 'ar', keyword: 'إيقاف' }],
  ['إِيقَاف!', { kind: 'opt_out', language: 'ar', keyword: 'إيقاف' }],
  ['توقف', { kind: 'opt_out', language: 'ar', keyword: 'توقف' }],
  ['قف', { kind: 'opt_out', language: 'ar', keyword: 'قف' }],
  ['الغاء', { kind: 'opt_out', language: 'ar', keyword: 'إلغاء' }],
  ['إلغاء الاشتراك', { kind: 'opt_out', language: 'ar', keyword: 'إلغاء الاشتراك' }],
  ['إلغاء الاشتراك من فضلك', { kind: 'opt_out', language: 'ar', keyword: 'إلغاء الاشتراك' }],
  ['لا ترسل لي رسائل مرة أخرى', { kind: 'opt_out', language: 'ar', tier: 'phrase' }],
  ['توقف عن إرسال الرسائل', { kind: 'opt_out', language: 'ar', tier: 'phrase' }],
  ['احذف رقمي من القائمة', { kind: 'opt_out', language: 'ar', tier: 'phrase' }],
  ['لا أريد رسائل', { kind: 'opt_out', language: 'ar', tier: 'phrase' }],
  // Opt-in
  ['START', { kind: 'opt_in', language: 'en', tier: 'keyword', keyword: 'start' }],
  ['start!', { kind: 'opt_in', language: 'en', keyword: 'start' }],
  ['unstop', { kind: 'opt_in', language: 'en', keyword: 'unstop' }],
  ['Resume please', { kind: 'opt_in', language: 'en', keyword: 'resume' }],
  ['mulai', { kind: 'opt_in', language: 'id', keyword: 'mulai' }],
  ['Mulai lagi', { kind: 'opt_in', language: 'id', keyword: 'mulai lagi' }],
  ['aktifkan kembali', { kind: 'opt_in', language: 'id' }],
  ['ابدأ', { kind: 'opt_in', language: 'ar', keyword: 'ابدأ' }],
  ['ابدا', { kind: 'opt_in', language: 'ar', keyword: 'ابدأ' }],
  ['استئناف', { kind: 'opt_in', language: 'ar' }],
  // An opt-out keyword followed by the service code of an operator's SMS menu
  ['UNREG NAYLA', { kind: 'opt_out', language: 'id', tier: 'keyword', keyword: 'unreg' }],
  ['STOP 4', { kind: 'opt_out', language: 'en', tier: 'keyword', keyword: 'stop' }],
  ['stop!!1!', { kind: 'opt_out', language: 'en', keyword: 'stop' }],
  ['REG OFF ALL', { kind: 'opt_out', language: 'id', keyword: 'reg off' }],
  ['الغاء 1', { kind: 'opt_out', language: 'ar' }],
  ['stop abeg', { kind: 'opt_out', language: 'en', keyword: 'stop' }],
  ['désabonner', { kind: 'opt_out', language: 'en' }],
  ['سطوب', { kind: 'opt_out', language: 'ar' }],
  // A code typed against the keyword, and regional particles around it
  ['STOP1', { kind: 'opt_out', language: 'en', keyword: 'stop' }],
  ['الغاء1', { kind: 'opt_out', language: 'ar', keyword: 'إلغاء' }],
  ['setop aje', { kind: 'opt_out', language: 'en', keyword: 'setop' }],
  ['REG BATAL', { kind: 'opt_out', language: 'id', keyword: 'reg batal' }],
  // Opt-out words of the other languages recipients write in
  ['TD', { kind: 'opt_out', language: 'en', keyword: 'td' }],
  ['退订', { kind: 'opt_out', language: 'en', keyword: '退订' }],
  ['BAJA', { kind: 'opt_out', language: 'en', keyword: 'baja' }],
  ['বন্ধ করুন', { kind: 'opt_out', language: 'en' }],
  ['sitisha', { kind: 'opt_out', language: 'en', keyword: 'sitisha' }],
  ['stop barka', { kind: 'opt_out', language: 'ar', keyword: 'stop barka' }],
  ['ستوب merci', { kind: 'opt_out', language: 'ar', keyword: 'ستوب' }],
  ['réabonner', { kind: 'opt_in', language: 'en', keyword: 'réabonner' }],
  // India's carrier command for "block all promotions": START with a code is never an opt-in
  ['START 0', { kind: 'opt_out', language: 'en', keyword: 'start 0', tier: 'keyword' }],
];

const negatives: string[] = [
  'no',
  'No.',
  'tidak',
  'لا',
  'nope',
  'yes',
  'ya',
  'نعم',
  'ok',
  'stop by the store',
  'Can you stop by the store tomorrow?',
  'cancel my order',
  'please cancel my order',
  'stop the delivery at the gate',
  "don't stop",
  'We have got to STOP this terrible bill from passing!!',
  'When does the sale end?',
  'I will stop by later',
  'start the engine',
  'Do not send me the invoice',
  'jangan stop dulu',
  'batal',
  'Saya mau batal pesanan',
  'berhenti di depan gerbang',
  'توقف عند البوابة',
  'لا شكرا',
  'Hi, I received the package but the box was damaged, please stop the replacement until I check it, thanks',
  // Words that mean "stop" in one language and something else in another stay out of the lists
  'acha',
  'khalas',
  'خلاص',
  'كافي',
  'stop1 by',
  'stop by 4',
  'cancel order 12',
  'Order 12 OK',
  'Order 12345',
  '🛑',
  '',
  '   ',
];

describe('createOptOutMatcher (policies/opt-out.json)', () => {
  describe('classifies whole messages', () => {
    for (const [text, expected] of positives) {
      it(`${JSON.stringify(text)} → ${expected.kind} (${expected.language})`, () => {
        const match = matcher.classify(text);
        assert.ok(match, 'expected a match');
        assert.equal(match.kind, expected.kind);
        assert.equal(match.language, expected.language);
        if (expected.tier) assert.equal(match.tier, expected.tier);
        if (expected.keyword) assert.equal(match.keyword, expected.keyword);
      });
    }
  });

  describe('does not match ordinary messages', () => {
    for (const text of negatives) {
      it(`${JSON.stringify(text)} → null`, () => {
        assert.equal(matcher.classify(text), null);
      });
    }
  });

  it('reports phrase matches with the pattern as written in the policy', () => {
    const match = matcher.classify('please stop messaging me');
    assert.ok(match);
    assert.ok(policy.languages[0]?.opt_out.phrases?.includes(match.keyword));
  });

  it('treats YES / YA / نعم as opt-in only when answering the opt-out confirmation', () => {
    const context = { answersOptOutConfirmation: true };
    assert.deepEqual(matcher.classify('Yes please', context), {
      kind: 'opt_in',
      keyword: 'yes please',
      language: 'en',
      tier: 'keyword',
    });
    assert.equal(matcher.classify('ya kak', context)?.language, 'id');
    assert.equal(matcher.classify('نعم', context)?.language, 'ar');
    assert.equal(matcher.classify('yes'), null);
    // A STOP is still a STOP in that context.
    assert.equal(matcher.classify('stop', context)?.kind, 'opt_out');
  });

  it('ignores messages longer than max_words even if they are only fillers around a keyword', () => {
    const long = 'please stop thanks please thanks please thanks please thanks please thanks';
    assert.equal(matcher.classify(long), null);
    assert.deepEqual(matcher.classify('please stop thanks'), matcher.classify('stop'));
  });

  describe('confirmation', () => {
    it('has a text per language and kind, mentioning how to undo it', () => {
      assert.match(matcher.confirmation('opt_out', 'en') ?? '', /START/);
      assert.match(matcher.confirmation('opt_in', 'en') ?? '', /STOP/);
      assert.match(matcher.confirmation('opt_out', 'id') ?? '', /MULAI/);
      assert.match(matcher.confirmation('opt_in', 'id') ?? '', /BERHENTI/);
      assert.match(matcher.confirmation('opt_out', 'ar') ?? '', /ابدأ/);
      assert.match(matcher.confirmation('opt_in', 'ar') ?? '', /إيقاف/);
    });

    it('falls back from a regional code to the base language, then to the default language', () => {
      assert.equal(matcher.confirmation('opt_out', 'id-ID'), matcher.confirmation('opt_out', 'id'));
      assert.equal(matcher.confirmation('opt_out', 'fr'), matcher.confirmation('opt_out', 'en'));
    });

    it('round-trips with classify: the confirmation language is the keyword language', () => {
      const match = matcher.classify('berhenti');
      assert.ok(match);
      assert.equal(
        matcher.confirmation(match.kind, match.language),
        policy.languages[1]?.confirmations.opt_out,
      );
    });
  });

  describe('the natural-language detector on questions (a model with fixed answers)', () => {
    function withModel(pOut: number) {
      const probabilities = [1 - pOut, pOut, 0];
      const model: LinearModel = {
        task: 'reply-consent',
        version: 'fixed',
        classes: ['none', 'opt_out', 'opt_in'],
        positiveClasses: ['opt_out'],
        predict: () => ({ label: 'opt_out', probabilities, positive: pOut, positiveLabel: 'opt_out', top: [], hosts: [] }),
      };
      return createOptOutMatcher(policy, { [policy.classifier?.model ?? '']: model });
    }
    const plainMin = policy.classifier?.opt_out_min ?? 1;
    const askingMin = policy.classifier?.question_opt_out_min ?? 1;

    it('a reply that asks on the way and then demands needs the higher minimum', () => {
      assert.ok(askingMin > plainMin);
      const text = 'Who gave you my number?? Delete it now.';
      assert.equal(withModel(askingMin).classify(text)?.kind, 'opt_out');
      assert.equal(withModel((askingMin + plainMin) / 2).classify(text), null);
      assert.equal(withModel(plainMin).classify('Delete my number from your list now.')?.kind, 'opt_out');
    });

    it('a short reply without a cue word counts only when the model is surer', () => {
      const cueFreeMin = policy.classifier?.cue_free_opt_out_min ?? 1;
      const maxWords = policy.classifier?.cue_free_max_words ?? 0;
      assert.ok(cueFreeMin > plainMin && maxWords >= 2);
      // "isttop pls": no listed keyword, no cue word ("messages", "list"…), two words.
      assert.deepEqual(
        { ...withModel(cueFreeMin).classify('isttop pls'), probability: undefined },
        { kind: 'opt_out', keyword: 'classifier', language: 'en', tier: 'classifier', probability: undefined },
      );
      assert.equal(withModel((cueFreeMin + plainMin) / 2).classify('isttop pls'), null);
      // Without a cue word, a reply that asks anything is not a refusal ("who are you? dunno you").
      assert.equal(withModel(1).classify('who r u? dunno u'), null);
      // Longer than cue_free_max_words and without a cue word: never the model's alone.
      const long = Array.from({ length: maxWords + 1 }, (_, i) => `isttop${i}`).join(' ');
      assert.equal(withModel(1).classify(long), null);
      // With a cue word the plain minimum applies, whatever the length.
      assert.equal(withModel(plainMin).classify('no more messages pls')?.kind, 'opt_out');
    });

    it('words that mean stop in one language and OK in another never count on the model alone', () => {
      for (const text of ['acha', 'Acha!', 'khalas 🙏', 'خلاص', 'OK']) {
        assert.equal(withModel(1).classify(text), null, text);
      }
    });

    it('"YES" without the opt-out confirmation before it is never an opt-in, however sure the model is', () => {
      const probabilities = [0, 0, 1];
      const model: LinearModel = {
        task: 'reply-consent',
        version: 'fixed',
        classes: ['none', 'opt_out', 'opt_in'],
        positiveClasses: ['opt_out'],
        predict: () => ({ label: 'opt_in', probabilities, positive: 0, positiveLabel: 'opt_out', top: [], hosts: [] }),
      };
      const m = createOptOutMatcher(policy, { [policy.classifier?.model ?? '']: model });
      assert.equal(m.classify('Yes'), null);
      assert.equal(m.classify('نعم'), null);
      assert.equal(m.classify('Yes', { answersOptOutConfirmation: true })?.kind, 'opt_in');
      assert.equal(m.classify('isttart pls')?.tier, 'classifier');
    });

    it('a reply that ends in a question never counts, however sure the model is', () => {
      for (const text of ['can you stop the gym membership messages?', 'Delete my number from the list؟ 🙏']) {
        assert.equal(withModel(1).classify(text), null, text);
      }
    });
  });

  describe('policy errors are caught when the matcher is built', () => {
    function policyWith(patch: Partial<OptOutPolicy['languages'][number]>): OptOutPolicy {
      const base = structuredClone(policy);
      Object.assign(base.languages[0] ?? {}, patch);
      return base;
    }

    it('rejects a word that is both opt-out and opt-in', () => {
      const bad = policyWith({ opt_in: { keywords: ['STOP!'] } });
      assert.throws(() => createOptOutMatcher(bad), /"STOP!" is both opt_out and opt_in/);
    });

    it('rejects an unbalanced phrase', () => {
      const bad = policyWith({ opt_out: { keywords: ['stop'], phrases: ['stop [messaging me'] } });
      assert.throws(() => createOptOutMatcher(bad), /en\.opt_out\.phrases\[0\]: cannot parse/);
    });

    it('rejects a keyword that normalizes to nothing', () => {
      const bad = policyWith({ opt_out: { keywords: ['🛑'] } });
      assert.throws(() => createOptOutMatcher(bad), /empty once normalized/);
    });
  });
});
