import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

/**
 * Call-event reply templates (SPEC §10): plain-text WhatsApp messages, so Handlebars runs with
 * `noEscape` (an `&` in a business name must stay `&`, not become `&amp;`).
 *
 * The defaults live in `templates/3cx/<event>.hbs`. An integration may override any of them;
 * overrides are checked when they are saved, not when a call comes in: only the five documented
 * variables, and only `#if` / `#unless` around them. No other helpers, partials, `this`,
 * `@data` or parent paths, so a template cannot reach anything but the values we hand it.
 */

/** Call events that send a templated WhatsApp reply. */
export const TEMPLATE_EVENTS = [
  'missed_call',
  'voicemail',
  'call_ended',
  'queue_callback',
  'after_hours',
] as const;
export type TemplateEvent = (typeof TEMPLATE_EVENTS)[number];

export const TEMPLATE_VARIABLES = [
  'customer_phone',
  'agent_extension',
  'queue',
  'call_time',
  'business_name',
] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];
export type TemplateValues = Record<TemplateVariable, string>;

export const MAX_TEMPLATE_LENGTH = 1000;

const BLOCK_HELPERS = new Set(['if', 'unless']);
const ALLOWED = new Set<string>(TEMPLATE_VARIABLES);

const env = Handlebars.create();
const COMPILE_OPTIONS = {
  noEscape: true,
  strict: true,
  knownHelpers: { if: true, unless: true },
  knownHelpersOnly: true,
} as const;

const SAMPLE: TemplateValues = {
  customer_phone: '+966500000000',
  agent_extension: '101',
  queue: 'Support',
  call_time: '2026-05-08 10:00',
  business_name: 'Acme Support',
};

export function isTemplateEvent(value: unknown): value is TemplateEvent {
  return typeof value === 'string' && (TEMPLATE_EVENTS as readonly string[]).includes(value);
}

type Node = { type: string; [key: string]: unknown };
type PathNode = {
  type: 'PathExpression';
  original: string;
  depth: number;
  data: boolean;
  parts: string[];
};

function describePath(node: Node): string {
  return node.type === 'PathExpression' ? String((node as unknown as PathNode).original) : node.type;
}

function checkVariable(node: Node | undefined, problems: string[]): void {
  if (node?.type !== 'PathExpression') {
    problems.push(
      `only the variables ${TEMPLATE_VARIABLES.join(', ')} may be used (found ${node ? node.type : 'nothing'})`,
    );
    return;
  }
  const p = node as unknown as PathNode;
  const name = p.original;
  if (p.data || p.depth > 0 || p.parts.length !== 1 || !ALLOWED.has(name) || name.includes('/')) {
    problems.push(`unknown variable {{${name}}} (allowed: ${TEMPLATE_VARIABLES.join(', ')})`);
  }
}

function walk(nodes: Node[] | undefined, problems: string[]): void {
  for (const node of nodes ?? []) {
    switch (node.type) {
      case 'ContentStatement':
      case 'CommentStatement':
        break;
      case 'MustacheStatement': {
        const params = (node.params as Node[]) ?? [];
        const hash = node.hash as { pairs?: unknown[] } | undefined;
        if (params.length > 0 || (hash?.pairs?.length ?? 0) > 0) {
          problems.push(`helpers are not allowed ({{${describePath(node.path as Node)} …}})`);
          break;
        }
        checkVariable(node.path as Node, problems);
        break;
      }
      case 'BlockStatement': {
        const helper = describePath(node.path as Node);
        const params = (node.params as Node[]) ?? [];
        const hash = node.hash as { pairs?: unknown[] } | undefined;
        if (!BLOCK_HELPERS.has(helper)) {
          problems.push(`block {{#${helper}}} is not allowed (only #if and #unless)`);
          break;
        }
        if (params.length !== 1 || (hash?.pairs?.length ?? 0) > 0) {
          problems.push(`{{#${helper}}} takes exactly one variable`);
          break;
        }
        checkVariable(params[0], problems);
        walk((node.program as { body?: Node[] } | undefined)?.body, problems);
        walk((node.inverse as { body?: Node[] } | undefined)?.body, problems);
        break;
      }
      case 'PartialStatement':
      case 'PartialBlockStatement':
        problems.push('partials are not allowed');
        break;
      default:
        problems.push(`${node.type} is not allowed`);
    }
  }
}

/** Problems with a template override (empty when it is fine). Unknown variables, helpers, compile errors. */
export function validateTemplate(source: unknown): string[] {
  if (typeof source !== 'string') return ['must be a string'];
  if (source.trim() === '') return ['must not be empty'];
  if (source.length > MAX_TEMPLATE_LENGTH) return [`must be at most ${MAX_TEMPLATE_LENGTH} characters`];
  let ast: { body: Node[] };
  try {
    ast = env.parse(source) as unknown as { body: Node[] };
  } catch (error) {
    return [`does not compile: ${firstLine(error)}`];
  }
  const problems: string[] = [];
  walk(ast.body, problems);
  if (problems.length > 0) return [...new Set(problems)];
  try {
    const fn = env.compile(source, COMPILE_OPTIONS);
    const blank = Object.fromEntries(TEMPLATE_VARIABLES.map((v) => [v, ''])) as TemplateValues;
    if (fn(SAMPLE).trim() === '' && fn(blank).trim() === '') return ['renders an empty message'];
  } catch (error) {
    return [`does not compile: ${firstLine(error)}`];
  }
  return [];
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error)
    .split('\n')[0]
    ?.slice(0, 200) as string;
}

function templatesDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // src/integrations/threecx → ../../../templates; dist/src/integrations/threecx → ../../../../templates.
  for (const candidate of [
    path.resolve(here, '../../../templates/3cx'),
    path.resolve(here, '../../../../templates/3cx'),
  ]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error('templates/3cx not found');
}

/** Single-line, bounded values: a caller id or queue name cannot smuggle a paragraph into a reply. */
function clean(value: string, max: number): string {
  return value
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, max);
}

const LIMITS: Record<TemplateVariable, number> = {
  customer_phone: 32,
  agent_extension: 32,
  queue: 80,
  call_time: 40,
  business_name: 120,
};

export class ThreeCxTemplates {
  private readonly defaults = new Map<TemplateEvent, string>();
  private readonly compiled = new Map<string, Handlebars.TemplateDelegate>();

  constructor(dir: string = templatesDir()) {
    for (const event of TEMPLATE_EVENTS) {
      const source = fs.readFileSync(path.join(dir, `${event}.hbs`), 'utf8');
      const problems = validateTemplate(source);
      if (problems.length > 0) throw new Error(`templates/3cx/${event}.hbs: ${problems.join('; ')}`);
      this.defaults.set(event, source);
    }
  }

  defaultSource(event: TemplateEvent): string {
    return this.defaults.get(event) as string;
  }

  /** Renders the override when there is one (validated at save time), else the default file. */
  render(event: TemplateEvent, values: TemplateValues, override?: string | null): string {
    const source = override ?? this.defaultSource(event);
    let fn = this.compiled.get(source);
    if (!fn) {
      fn = env.compile(source, COMPILE_OPTIONS);
      if (this.compiled.size > 500) this.compiled.clear();
      this.compiled.set(source, fn);
    }
    const safe = {} as TemplateValues;
    for (const name of TEMPLATE_VARIABLES) safe[name] = clean(values[name] ?? '', LIMITS[name]);
    const text = fn(safe).trim();
    // An override that renders nothing for these values (all inside an #if) falls back to the default.
    return text === '' && override ? this.render(event, values, null) : text;
  }
}
