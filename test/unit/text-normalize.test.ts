import assert from 'node:assert/strict';
import {
  deLeet,
  deobfuscate,
  foldArabic,
  foldHomoglyphs,
  joinSpacedLetters,
  mightBeObfuscated,
  normalizeText,
  stripInvisible,
  toAsciiDigits,
} from '../../src/lib/text-normalize.ts';

describe('text-normalize', () => {
  describe('normalizeText', () => {
    const cases: [string, string][] = [
      ['STOP!!', 'stop'],
      ['  Stop 🛑 ', 'stop'],
      ['ＳＴＯＰ', 'stop'], // full-width
      ['S\u200BT\u200DOP\uFEFF', 'stop'], // zero-width characters vanish
      ['\u200Fإيقاف\u200F', 'ايقاف'], // bidi marks around Arabic
      ["Don't message me", 'dont message me'],
      ['don’t', 'dont'],
      ['No más', 'no mas'],
      ['İstanbul', 'istanbul'],
      ['إِلْغَاء', 'الغاء'], // harakat removed, hamza-alef folded
      ['إيـــقاف', 'ايقاف'], // tatweel
      ['آخر فرصة', 'اخر فرصه'], // madda alef, taa marbuta
      ['على', 'علي'], // alef maksura
      ['رمز ١٢٣٤٥٦', 'رمز 123456'], // Arabic-Indic digits
      ['کد ۴۸۲۹۱۳', 'كد 482913'], // Eastern Arabic-Indic digits, keheh
      ['STOP\n\n\tnow', 'stop now'],
      ['👍🏽🇮🇩 1️⃣', '1'],
      ['«stop»', 'stop'],
      ['، توقف ؟', 'توقف'],
      ['', ''],
    ];
    for (const [input, expected] of cases) {
      it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
        assert.equal(normalizeText(input), expected);
      });
    }

    it('keeps punctuation and symbols when asked, with the Arabic percent sign mapped', () => {
      assert.equal(normalizeText('Diskon 70%!', { stripPunctuation: false }), 'diskon 70%!');
      assert.equal(normalizeText('خصم ٥٠٪', { stripPunctuation: false }), 'خصم 50%');
    });

    it('keeps emoji when asked', () => {
      assert.equal(normalizeText('Stop 🛑', { stripEmoji: false }), 'stop 🛑');
    });

    it('can leave case, accents, Arabic and digits alone', () => {
      const text = 'Más إِلْغَاء ١٢';
      assert.equal(
        normalizeText(text, { lowercase: false, stripAccents: false, foldArabic: false, asciiDigits: false }),
        text,
      );
    });

    it('turns invisible characters into spaces when asked', () => {
      assert.equal(normalizeText('pro\u200Bmo', { invisibleAsSpace: true }), 'pro mo');
      assert.equal(normalizeText('pro\u200Bmo'), 'promo');
    });
  });

  describe('building blocks', () => {
    it('toAsciiDigits converts both Arabic digit sets and the Arabic separators', () => {
      assert.equal(toAsciiDigits('٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹'), '0123456789 0123456789');
      assert.equal(toAsciiDigits('١٢٫٥٪ ١٬٠٠٠'), '12.5% 1,000');
    });

    it('foldArabic leaves non-Arabic text untouched', () => {
      assert.equal(foldArabic('Order #12 ready'), 'Order #12 ready');
      assert.equal(foldArabic('أَهْلًا وَسَهْلًا'), 'اهلا وسهلا');
    });

    it('stripInvisible removes or replaces', () => {
      assert.equal(stripInvisible('a\u200Bb'), 'ab');
      assert.equal(stripInvisible('a\u200Bb', ' '), 'a b');
    });
  });

  describe('deobfuscation helpers', () => {
    const leet: [string, string][] = [
      ['pr0m0', 'promo'],
      ['d1skon', 'diskon'],
      ['c@sh', 'cash'],
      ['fr33 g1ft', 'free gift'],
      ['$ale', 'sale'],
      ['g4c0r', 'gacor'],
    ];
    for (const [input, expected] of leet) {
      it(`deLeet ${input} → ${expected}`, () => assert.equal(deLeet(input), expected));
    }

    it('deLeet offers the l reading of 1', () => {
      assert.equal(deLeet('s1ot', 'l'), 'slot');
      assert.equal(deLeet('s1ot'), 'siot');
    });

    const untouched = ['A1029', 'INV2041', '482913', '$50', '2x', 'order A-1029', 'Rp250.000', 'b2b'];
    for (const input of untouched) {
      it(`deLeet leaves code-like ${JSON.stringify(input)} alone`, () => assert.equal(deLeet(input), input));
    }

    it('foldHomoglyphs folds look-alikes only in mixed-script words', () => {
      assert.equal(foldHomoglyphs('prоmо'), 'promo'); // Cyrillic о
      assert.equal(foldHomoglyphs('привет'), 'привет');
    });

    it('joinSpacedLetters joins runs of three or more single letters', () => {
      assert.equal(joinSpacedLetters('p r o m o sekarang'), 'promo sekarang');
      assert.equal(joinSpacedLetters('s d 5 mei'), 's d 5 mei');
    });

    it('deobfuscate returns normalized readings with evasion undone', () => {
      assert.deepEqual(deobfuscate('P.R.O.M.O!!'), ['promo']);
      assert.deepEqual(deobfuscate('pro\u200Bmo'), ['promo']);
      assert.deepEqual(deobfuscate('S1OT gacor'), ['siot gacor', 'slot gacor']);
      assert.deepEqual(deobfuscate('BIG PRОMО'), ['big promo']);
    });

    it('mightBeObfuscated is a cheap, conservative gate', () => {
      assert.equal(mightBeObfuscated('Your order has shipped and will arrive Tuesday'), false);
      assert.equal(mightBeObfuscated('Kode OTP Anda 482913'), false);
      for (const text of ['pr0mo', 'pro\u200Bmo', 'PRОMО', 'p.r.o.m.o', 'p - r - o']) {
        assert.equal(mightBeObfuscated(text), true, text);
      }
    });
  });
});
