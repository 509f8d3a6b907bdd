import assert from 'node:assert/strict';
import { blendModels, readBySentence, sentencesOf } from '../../src/sending/risk/classifier-reading.ts';
import type { LinearModel } from '../../src/sending/risk/linear-model.ts';

const CLASSES = ['legit', 'marketing', 'scam'];

/** A model with a fixed answer per text (probabilities in CLASSES order), recording what it read. */
function fixedModel(answer: (text: string) => number[], feature = 'w:fixed') {
  const read: { text: string; extra: readonly string[] }[] = [];
  const model: LinearModel = {
    task: 'send-intent',
    version: 'fixed',
    classes: CLASSES,
    positiveClasses: ['marketing', 'scam'],
    predict(text, _purpose, _topN, extra = []) {
      read.push({ text, extra });
      const probabilities = answer(text);
      const positive = (probabilities[1] as number) + (probabilities[2] as number);
      return { probabilities, label: 'x', positive, positiveLabel: 'x', top: [{ feature, weight: 1 }], hosts: [text.slice(0, 3)] };
    },
  };
  return { model, read };
}

const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} ≠ ${expected}`);

describe('blendModels (the classifier rule\'s companions)', () => {
  it('averages the probabilities by weight and re-derives label, positive and intent; the evidence is the main model\'s', () => {
    const main = fixedModel(() => [0.6, 0.3, 0.1], 'w:main');
    const chars = fixedModel(() => [0.3, 0.1, 0.6], 'c:chars');
    const blended = blendModels(main.model, [{ model: chars.model, weight: 0.25 }]);
    const p = blended.predict('hello', 'transactional', 3, ['r:phishing']);
    [0.525, 0.25, 0.225].forEach((x, i) => close(p.probabilities[i] as number, x));
    close(p.positive, 0.475);
    assert.equal(p.label, 'legit');
    assert.equal(p.positiveLabel, 'marketing');
    assert.deepEqual(p.top, [{ feature: 'w:main', weight: 1 }]);
    // Both models saw the same text and the same rule features.
    assert.deepEqual(chars.read, [{ text: 'hello', extra: ['r:phishing'] }]);
  });

  it('refuses companions that leave the main model no share, or that decide other classes', () => {
    const main = fixedModel(() => [1, 0, 0]).model;
    assert.throws(() => blendModels(main, [{ model: main, weight: 0.6 }, { model: main, weight: 0.4 }]), /main model must keep a share/);
    const other: LinearModel = { ...main, classes: ['none', 'opt_out', 'opt_in'] };
    assert.throws(() => blendModels(main, [{ model: other, weight: 0.3 }]), /other classes/);
  });
});

describe('readBySentence (an appended promotion is judged as what it is)', () => {
  const promo = 'Everything in store is 30% off this weekend only.';
  const update = 'Your order 4411 has shipped and arrives Thursday.';
  const answer = (text: string) => (text === promo ? [0.1, 0.9, 0] : text.includes('30%') ? [0.7, 0.3, 0] : [0.95, 0.05, 0]);

  it('mixes the most suspicious sentence into the whole message\'s reading', () => {
    const { model, read } = fixedModel(answer);
    const p = readBySentence(model, { mix: 0.4, minWords: 5 }).predict(`${update} ${promo}`, 'transactional', 3, ['r:x']);
    close(p.positive, 0.4 * 0.9 + 0.6 * 0.3);
    assert.equal(p.positiveLabel, 'marketing');
    // The whole message with the rules that fired on it, then each sentence on its own without them.
    assert.deepEqual(read, [
      { text: `${update} ${promo}`, extra: ['r:x'] },
      { text: update, extra: [] },
      { text: promo, extra: [] },
    ]);
    assert.deepEqual(p.hosts, [`${update} ${promo}`.slice(0, 3)]);
  });

  it('never lowers the whole message\'s probability, and leaves one-sentence messages alone', () => {
    const { model } = fixedModel((text) => (text === update ? [0.99, 0.01, 0] : [0.4, 0.6, 0]));
    const reading = readBySentence(model, { mix: 0.4, minWords: 5 });
    close(reading.predict(`${update} Thanks for shopping with us today!`).positive, 0.6);
    close(reading.predict(promo).positive, 0.6);
  });

  it('reads the long sentence after a short one ("Your code is 4471. Also, 50% off…")', () => {
    const { model, read } = fixedModel(answer);
    const p = readBySentence(model, { mix: 0.4, minWords: 5 }).predict(`Code 4471. ${promo}`);
    close(p.positive, 0.4 * 0.9 + 0.6 * 0.3);
    assert.deepEqual(read.map((r) => r.text), [`Code 4471. ${promo}`, promo]);
  });

  it('does not read sentences shorter than min_words alone', () => {
    assert.deepEqual(sentencesOf('Your order 4411 has shipped today and arrives Thursday.', 3), []);
    assert.deepEqual(sentencesOf('Order 4411 shipped. Thanks! See you soon at the store, Maya', 3), ['Order 4411 shipped.', 'See you soon at the store, Maya']);
    assert.deepEqual(sentencesOf('تم شحن طلبك رقم 5521 اليوم. خصم 30٪ على كل العطور هالأسبوع!\nشكرا', 3), ['تم شحن طلبك رقم 5521 اليوم.', 'خصم 30٪ على كل العطور هالأسبوع!']);
  });
});
