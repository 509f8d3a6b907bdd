import { createHash } from 'node:crypto';
import { compileCues, extractFeatures, featureValue, hashFeature, type FeatureOptions, type IntentCues } from './text-features.ts';

/**
 * Layer 3 of the policy engine: a multinomial logistic regression over hashed binary features
 * (character n-grams inside words, words, word pairs, link and shape features). Small, fast
 * (one hash and a few additions per feature) and explainable: every score is a sum of named
 * features' weights, so the decision log can show which ones pushed a message over the line.
 *
 * The model is a policy file (`policies/*-model.json`): trained by `npm run policy:train` from
 * the project's corpus, committed, and verified against its checksum when loaded.
 */

export const MODEL_FORMAT = 'warden-linear-v1';

export interface LinearModelFile {
  format: typeof MODEL_FORMAT;
  /** What the model decides, e.g. `send-intent` or `reply-consent`. */
  task: string;
  version: string;
  classes: string[];
  /** Classes whose probabilities add up to the "positive" score (refuse, or opt-out). */
  positive_classes: string[];
  buckets: number;
  features: FeatureOptions & { purpose: boolean; cues?: IntentCues };
  /** Weights are stored as int16 per class: weight = int16 * scale[class]. */
  scale: number[];
  bias: number[];
  /** base64 of little-endian int16, classes × buckets, class-major. */
  weights: string;
  training: Record<string, unknown>;
  /** sha256 over every other field, see {@link modelChecksum}. */
  sha256: string;
}

export interface Contribution {
  feature: string;
  weight: number;
}

export interface Prediction {
  /** Probability per class, in `classes` order. */
  probabilities: number[];
  /** The most likely class. */
  label: string;
  /** Sum of the positive classes' probabilities. */
  positive: number;
  /** The most likely positive class (what it looks like if refused). */
  positiveLabel: string;
  /** Features that pushed hardest toward `positiveLabel` against the first (negative) class. */
  top: Contribution[];
  hosts: string[];
}

export interface LinearModel {
  readonly task: string;
  readonly version: string;
  readonly classes: readonly string[];
  /** Classes whose probabilities add up to `positive`. */
  readonly positiveClasses: readonly string[];
  /** `extra`: features computed elsewhere (the deterministic rules that fired, as `r:<id>`). */
  predict(text: string, purpose?: string, topN?: number, extra?: readonly string[]): Prediction;
}

/** sha256 of the canonical JSON of every field but `sha256` itself. */
export function modelChecksum(file: Omit<LinearModelFile, 'sha256'> & { sha256?: string }): string {
  const { sha256: _ignored, ...rest } = file;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}

export class ModelError extends Error {}

function decodeWeights(file: LinearModelFile): Float64Array[] {
  const bytes = Buffer.from(file.weights, 'base64');
  const expected = file.classes.length * file.buckets * 2;
  if (bytes.length !== expected) {
    throw new ModelError(`weights hold ${bytes.length} bytes, expected ${expected}`);
  }
  return file.classes.map((_, c) => {
    const out = new Float64Array(file.buckets);
    const scale = file.scale[c] as number;
    for (let i = 0; i < file.buckets; i++) out[i] = bytes.readInt16LE((c * file.buckets + i) * 2) * scale;
    return out;
  });
}

/** Checks the file (format, shape, checksum) and returns a ready model. */
export function loadLinearModel(file: LinearModelFile): LinearModel {
  if (file.format !== MODEL_FORMAT) throw new ModelError(`unknown model format "${String(file.format)}"`);
  if (!Number.isInteger(Math.log2(file.buckets))) throw new ModelError('buckets must be a power of two');
  const k = file.classes.length;
  if (k < 2 || file.scale.length !== k || file.bias.length !== k) throw new ModelError('classes, scale and bias differ in length');
  for (const p of file.positive_classes) {
    if (!file.classes.includes(p)) throw new ModelError(`positive class "${p}" is not a class`);
  }
  const actual = modelChecksum(file);
  if (actual !== file.sha256) {
    throw new ModelError(`checksum mismatch (file says ${file.sha256.slice(0, 12)}…, content is ${actual.slice(0, 12)}…): retrain with npm run policy:train`);
  }
  const weights = decodeWeights(file);
  return createLinearModel(file, weights);
}

/** A model from in-memory weights (used by training before the weights are quantized). */
export function createLinearModel(
  file: Pick<LinearModelFile, 'task' | 'version' | 'classes' | 'positive_classes' | 'buckets' | 'features' | 'bias'>,
  weights: Float64Array[],
): LinearModel {
  const k = file.classes.length;
  const positive = file.positive_classes.map((p) => file.classes.indexOf(p));
  const { buckets, bias } = file;
  const cues = file.features.cues === undefined ? undefined : compileCues(file.features.cues);

  return {
    task: file.task,
    version: file.version,
    classes: file.classes,
    positiveClasses: file.positive_classes,
    predict(text, purpose, topN = 3, extra = []) {
      const { names, hosts } = extractFeatures(text, file.features.purpose ? purpose : undefined, file.features, extra, cues);
      const idx = new Int32Array(names.length);
      const val = new Float64Array(names.length);
      for (let i = 0; i < names.length; i++) {
        idx[i] = hashFeature(names[i] as string, buckets);
        val[i] = featureValue(names[i] as string, names.length, file.features);
      }
      const logits = new Float64Array(k);
      for (let c = 0; c < k; c++) {
        const w = weights[c] as Float64Array;
        let z = 0;
        for (let i = 0; i < idx.length; i++) z += (w[idx[i] as number] as number) * (val[i] as number);
        logits[c] = z + (bias[c] as number);
      }
      const probabilities = softmax(logits);
      const { best, positive: pos, bestPositive: bestPos } = readProbabilities(probabilities, positive);
      // Contribution of each feature to "bestPos rather than the negative class (index 0)".
      const wp = weights[bestPos] as Float64Array;
      const wn = weights[0] as Float64Array;
      const contributions: Contribution[] = [];
      for (let i = 0; i < names.length && topN > 0; i++) {
        const name = names[i] as string;
        if (name === 'bias') continue;
        const j = idx[i] as number;
        const weight = ((wp[j] as number) - (wn[j] as number)) * (val[i] as number);
        if (weight > 0) contributions.push({ feature: name, weight });
      }
      contributions.sort((a, b) => b.weight - a.weight || (a.feature < b.feature ? -1 : 1));
      return {
        probabilities,
        label: file.classes[best] as string,
        positive: pos,
        positiveLabel: file.classes[bestPos] as string,
        top: contributions.slice(0, topN),
        hosts,
      };
    },
  };
}

/**
 * What a prediction says of its probabilities: the most likely class, the sum of the positive
 * classes (indexes in `positive`) and the most likely of them (index 0 when there are none).
 */
export function readProbabilities(
  probabilities: readonly number[],
  positive: readonly number[],
): { best: number; positive: number; bestPositive: number } {
  let best = 0;
  for (let c = 1; c < probabilities.length; c++) if ((probabilities[c] as number) > (probabilities[best] as number)) best = c;
  let sum = 0;
  let bestPositive = positive[0] ?? 0;
  for (const c of positive) {
    sum += probabilities[c] as number;
    if ((probabilities[c] as number) > (probabilities[bestPositive] as number)) bestPositive = c;
  }
  return { best, positive: sum, bestPositive };
}

export function softmax(logits: ArrayLike<number>): number[] {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] as number);
  const exps: number[] = [];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp((logits[i] as number) - max);
    exps.push(e);
    sum += e;
  }
  return exps.map((e) => e / sum);
}

/** Human-readable feature name for explanations: `word "diskon"`, `chars "gaco"`, `link: shortener`. */
export function describeFeature(name: string): string {
  const colon = name.indexOf(':');
  const kind = name.slice(0, colon);
  const value = name.slice(colon + 1);
  switch (kind) {
    case 'w':
      return `word "${value}"`;
    case 'b':
      return `words "${value}"`;
    case 'c':
      return `letters "${value.replace(/_/g, ' ').trim()}"`;
    case 'url':
      return `link: ${value.replace(/_/g, ' ')}`;
    case 'tld':
      return `link ending .${value}`;
    case 'r':
      return `rule ${value}`;
    case 'cue':
      return `${value.replace(/:.*$/, '')} wording${value.includes(':') ? ` (${value.replace(/^[^:]*:/, '')} cues)` : ''}`.replace(/_/g, ' ');
    case 'p':
      return `purpose ${value.replace('&', ' with ').replace(/_/g, ' ')}`;
    default:
      return `${kind} ${value}`.replace(/_/g, ' ');
  }
}
