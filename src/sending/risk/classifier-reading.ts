import { readProbabilities, type LinearModel, type Prediction } from './linear-model.ts';

/**
 * How the intent classifier rule reads a message: its main model blended with companion
 * models (other views of the same text), and optionally each sentence on its own as well.
 * Both return a {@link LinearModel}, so the rule, the evaluation and the training loops treat
 * the combination exactly like one model.
 */

export interface Companion {
  model: LinearModel;
  /** Share of the blended probability; the main model weighs 1 minus the companions' sum. */
  weight: number;
}

/** A prediction whose probabilities were replaced: label, positive and positiveLabel follow them. */
function withProbabilities(model: LinearModel, base: Prediction, probabilities: number[]): Prediction {
  const positiveIndexes = model.positiveClasses.map((name) => model.classes.indexOf(name));
  const { best, positive, bestPositive } = readProbabilities(probabilities, positiveIndexes);
  return {
    ...base,
    probabilities,
    label: model.classes[best] as string,
    positive,
    positiveLabel: model.classes[bestPositive] as string,
  };
}

/** The weighted mean of the models' probabilities; the evidence is the main model's. */
export function blendModels(main: LinearModel, companions: readonly Companion[]): LinearModel {
  if (companions.length === 0) return main;
  const share = 1 - companions.reduce((sum, c) => sum + c.weight, 0);
  if (!(share > 0)) throw new Error('classifier companions weigh 1 or more: the main model must keep a share');
  for (const c of companions) {
    if (c.model.classes.join() !== main.classes.join()) {
      throw new Error(`companion model ${c.model.task} ${c.model.version} has other classes than the main model`);
    }
  }
  return {
    ...main,
    predict(text, purpose, topN, extra) {
      const p = main.predict(text, purpose, topN, extra);
      const probabilities = p.probabilities.map((x) => x * share);
      for (const c of companions) {
        const q = c.model.predict(text, purpose, 0, extra);
        q.probabilities.forEach((x, i) => (probabilities[i] = (probabilities[i] as number) + x * c.weight));
      }
      return withProbabilities(main, p, probabilities);
    },
  };
}

const SENTENCE_END = /(?<=[.!?؟。])\s+|\n+/u;

/** The sentences of a message (none when it has only one) that have at least `minWords` words. */
export function sentencesOf(text: string, minWords: number): string[] {
  const sentences = text
    .split(SENTENCE_END)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (sentences.length < 2) return [];
  return sentences.filter((s) => s.split(/\s+/u).length >= minWords);
}

export interface SentenceReading {
  /** Share of the most suspicious sentence in the probability (the whole message keeps the rest). */
  mix: number;
  /** Shorter sentences are not read alone. */
  minWords: number;
}

/**
 * Reads a message of two or more sentences sentence by sentence too: "Your order shipped. PS:
 * 30% off everything this weekend" is judged partly on its second sentence alone. The result is
 * mix × the most suspicious sentence + (1 − mix) × the whole message, when that is higher than
 * the whole message alone; the evidence is then the sentence's. Rules that fired (`extra`) belong
 * to the whole message and are not given to a sentence.
 */
export function readBySentence(model: LinearModel, { mix, minWords }: SentenceReading): LinearModel {
  if (mix === 0) return model;
  return {
    ...model,
    predict(text, purpose, topN, extra) {
      const whole = model.predict(text, purpose, topN, extra);
      const sentences = sentencesOf(text, minWords);
      let worst: Prediction | undefined;
      for (const s of sentences) {
        const p = model.predict(s, purpose, topN, []);
        if (p.positive > whole.positive && (worst === undefined || p.positive > worst.positive)) worst = p;
      }
      if (worst === undefined) return whole;
      const w = worst;
      const probabilities = w.probabilities.map((x, i) => mix * x + (1 - mix) * (whole.probabilities[i] as number));
      return { ...withProbabilities(model, w, probabilities), hosts: whole.hosts };
    },
  };
}
