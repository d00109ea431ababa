/**
 * Scripts (话术库) and canned replies: the team library (managed by leads and admins) and
 * each agent's personal library. A script has a body and per-channel variants (a phone
 * script to read aloud, an email template with a subject, a short chat line), a category and
 * a shortcut keyword the `/` picker matches. The server keeps them; the workstation caches
 * what its user may read (the team library and their own personal scripts) so the picker
 * works offline. See docs/technical/sync-protocol.md ("Scripts").
 *
 * Variables (`{customer.name}`, `{ticket.id}`, `{agent.name}`, …) are ICU MessageFormat
 * arguments, filled by `fillScript` with intl-messageformat.
 */
import { IntlMessageFormat } from 'intl-messageformat';
import { z } from 'zod';
import { entityIdSchema, type Channel } from './domain.js';
import { DEFAULT_ORG_TIME_ZONE } from './timeZone.js';

export const SCRIPT_SCOPES = ['team', 'personal'] as const;
export const scriptScopeSchema = z.enum(SCRIPT_SCOPES);
export type ScriptScope = z.infer<typeof scriptScopeSchema>;

/** The language a script is written in (the picker lists the UI language's first). */
export const SCRIPT_LANGUAGES = ['zh', 'en'] as const;
export const scriptLanguageSchema = z.enum(SCRIPT_LANGUAGES);
export type ScriptLanguage = z.infer<typeof scriptLanguageSchema>;

/** Limits beside the schemas, so the workstation and the server refuse the same things. */
export const MAX_SCRIPT_TITLE = 120;
export const MAX_SCRIPT_BODY = 4000;
export const MAX_SCRIPT_CATEGORY = 40;
export const MAX_SCRIPT_KEYWORD = 32;
/** Most scripts one library (the team's, or one agent's personal one) may hold. */
export const MAX_SCRIPTS_PER_LIBRARY = 500;

function trimmed(max: number, min = 0) {
  return z
    .string()
    .max(max)
    .transform((value) => value.trim())
    .refine((value) => value.length >= min, { message: min > 0 ? 'must not be empty' : 'is too short' });
}

/** A shortcut keyword: one word, no spaces (`/greet`, `/问候`). Empty means none. */
const keywordSchema = z
  .string()
  .max(MAX_SCRIPT_KEYWORD)
  .transform((value) => value.trim())
  .refine((value) => !/\s/.test(value), { message: 'must be one word without spaces' });

/** What each channel gets instead of the body; null = the body is used. */
export const scriptVariantsSchema = z.object({
  /** Read aloud on a call. */
  phone: z.object({ text: trimmed(MAX_SCRIPT_BODY, 1) }).nullable(),
  /** An email template: subject and body. */
  email: z.object({ subject: trimmed(MAX_SCRIPT_TITLE, 1), body: trimmed(MAX_SCRIPT_BODY, 1) }).nullable(),
  /** A short line for chat and social messages. */
  chat: z.object({ text: trimmed(MAX_SCRIPT_BODY, 1) }).nullable(),
});
export type ScriptVariants = z.infer<typeof scriptVariantsSchema>;

export const NO_VARIANTS: ScriptVariants = { phone: null, email: null, chat: null };

/** What an author writes; the server adds the id (on create), owner and stamps. */
export const scriptInputSchema = z.object({
  scope: scriptScopeSchema,
  language: scriptLanguageSchema,
  title: trimmed(MAX_SCRIPT_TITLE, 1),
  body: trimmed(MAX_SCRIPT_BODY, 1),
  category: trimmed(MAX_SCRIPT_CATEGORY),
  keyword: keywordSchema,
  variants: scriptVariantsSchema,
});
export type ScriptInput = z.infer<typeof scriptInputSchema>;

export const scriptSchema = scriptInputSchema.extend({
  id: entityIdSchema,
  /** The agent a personal script belongs to; null for the team library. */
  ownerId: entityIdSchema.nullable(),
  updatedAt: z.number().int().nonnegative(),
  /** Who saved it last (denormalised, like authorName on notes). */
  updatedByName: z.string().max(200),
});
export type Script = z.infer<typeof scriptSchema>;

// --- socket.io requests (shared/sync.ts declares the events) ------------------------------

/** `scripts:list` takes nothing: the answer is the team library and the caller's own personal one. */
export const scriptsListRequestSchema = z.object({}).strict();
export type ScriptsListRequest = z.infer<typeof scriptsListRequestSchema>;
export const scriptsListResultSchema = z.object({ scripts: z.array(scriptSchema).max(MAX_SCRIPTS_PER_LIBRARY * 2) });
export type ScriptsListResult = z.infer<typeof scriptsListResultSchema>;

/** `scripts:save`: creates (no id) or replaces (the id of a script the caller may write). */
export const scriptSaveRequestSchema = z.object({ id: entityIdSchema.optional(), script: scriptInputSchema });
export type ScriptSaveRequest = z.infer<typeof scriptSaveRequestSchema>;
export const scriptSaveResultSchema = z.object({ script: scriptSchema });
export type ScriptSaveResult = z.infer<typeof scriptSaveResultSchema>;

export const scriptDeleteRequestSchema = z.object({ id: entityIdSchema });
export type ScriptDeleteRequest = z.infer<typeof scriptDeleteRequestSchema>;
export const scriptDeleteResultSchema = z.object({ deleted: z.boolean() });
export type ScriptDeleteResult = z.infer<typeof scriptDeleteResultSchema>;

/** Pushed to whoever reads the library that changed (everyone for the team's, the owner for a personal one): fetch again. */
export const scriptsChangedSchema = z.object({ scope: scriptScopeSchema });
export type ScriptsChanged = z.infer<typeof scriptsChangedSchema>;

/** Who may write a script of this scope (and owner): leads and admins the team library, each user only their own personal one. */
export function canWriteScript(user: { id: string; role: string }, scope: ScriptScope, ownerId: string | null): boolean {
  if (scope === 'team') return user.role === 'lead' || user.role === 'admin';
  return ownerId === user.id;
}

// --- choosing and filling ----------------------------------------------------------------

/** The text a script gives on a channel: social takes the chat line; email has a subject. */
export function scriptTextFor(script: Pick<Script, 'body' | 'variants'>, channel: Channel): { subject: string | null; text: string } {
  const { variants } = script;
  if (channel === 'phone' && variants.phone) return { subject: null, text: variants.phone.text };
  if (channel === 'email' && variants.email) return { subject: variants.email.subject, text: variants.email.body };
  if ((channel === 'chat' || channel === 'social') && variants.chat) return { subject: null, text: variants.chat.text };
  return { subject: null, text: script.body };
}

/** The variables the workstation fills (the manage screen lists them). Unknown ones stay as placeholders, like known ones without a value. */
export const SCRIPT_VARIABLES = [
  'customer.name',
  'customer.id',
  'customer.vipTier',
  'ticket.id',
  'ticket.subject',
  'ticket.createdAt',
  'ticket.dueAt',
  'agent.name',
  'agent.id',
  'agent.extension',
  'org.name',
  'now',
] as const;

/** Values to fill; null or absent = unknown (the placeholder stays for the agent to fill). Dates are epoch ms. */
export type ScriptValues = Partial<Record<string, string | number | null>>;

/** A placeholder left in filled text: `{name}` at [start, end). */
export interface ScriptPlaceholder {
  name: string;
  start: number;
  end: number;
}

export interface FilledScript {
  text: string;
  /** The placeholders left unfilled, in order (Tab moves through them). */
  placeholders: ScriptPlaceholder[];
}

/** `{customer.name}`-style placeholders as they appear in text (a dotted or plain identifier). */
const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*)\}/g;
/** An argument name at the start of an ICU argument: `{ name` followed by `}` or `,`. */
const ARGUMENT = /\{(\s*)([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*)(\s*[},])/g;
/** ICU argument names cannot hold dots; `customer.name` travels as `customer__name`. */
const DOT = '__';
/** Stands in for an unfilled variable while ICU formats; private-use characters no script contains. */
const MARK_OPEN = '\uE000';
const MARK_CLOSE = '\uE001';

/** Names of the variables a template uses (its ICU arguments), in order of first use. */
export function scriptVariablesOf(template: string): string[] {
  const names: string[] = [];
  for (const match of template.matchAll(ARGUMENT)) {
    const name = match[2]!;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** Placeholders (`{customer.name}`) still present in text, in order. */
export function findPlaceholders(text: string): ScriptPlaceholder[] {
  return [...text.matchAll(PLACEHOLDER)].map((match) => ({ name: match[1]!, start: match.index, end: match.index + match[0].length }));
}

/** Dates are formatted in the organisation's time zone (the policies' `timeZone`; Asia/Shanghai by default). */
export const DEFAULT_SCRIPT_TIME_ZONE = DEFAULT_ORG_TIME_ZONE;

/**
 * Fills a template's variables with ICU MessageFormat (`{ticket.createdAt, date, medium}`,
 * `{n, plural, …}`, `{customer.vipTier, select, …}` all work) in `locale`. A variable with no
 * value stays in the text as `{name}` and is listed in `placeholders`. A template ICU cannot
 * read (an unbalanced brace) is filled by plain substitution instead, never refused: the
 * agent still gets their text.
 */
export function fillScript(template: string, values: ScriptValues, locale: string, timeZone = DEFAULT_SCRIPT_TIME_ZONE): FilledScript {
  const missing = (name: string) => values[name] === null || values[name] === undefined || values[name] === '';
  // A formatted argument (`{x, date, medium}`, `{n, plural, …}`) with no value becomes its bare placeholder first.
  template = withoutFormattedArguments(template, missing);
  const uses = [...template.matchAll(ARGUMENT)];
  const args: Record<string, string | number | Date> = {};
  for (const name of scriptVariablesOf(template)) {
    const value = values[name];
    const key = name.split('.').join(DOT);
    if (value === null || value === undefined || value === '') args[key] = `${MARK_OPEN}${name}${MARK_CLOSE}`;
    else if (typeof value === 'number' && isDateVariable(name)) {
      // `{ticket.createdAt, date, medium}` formats the date itself; a bare `{ticket.createdAt}` gets date and time.
      const formatted = uses.some((use) => use[2] === name && use[3]!.trim() === ',');
      args[key] = formatted ? new Date(value) : new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(value);
    } else args[key] = value;
  }
  const icu = template.replace(ARGUMENT, (_all, space: string, name: string, tail: string) => `{${space}${name.split('.').join(DOT)}${tail}`);
  let out: string;
  try {
    const zone = { timeZone };
    const formats = {
      date: { short: zone, medium: zone, long: zone, full: zone },
      time: { short: zone, medium: zone, long: zone, full: zone },
    };
    out = String(new IntlMessageFormat(icu, locale, formats, { ignoreTag: true }).format(args));
  } catch {
    out = template.replace(PLACEHOLDER, (_all, name: string) => {
      const value = args[name.split('.').join(DOT)];
      return value === undefined ? `${MARK_OPEN}${name}${MARK_CLOSE}` : value instanceof Date ? value.toISOString() : String(value);
    });
  }
  const text = out.split(MARK_OPEN).join('{').split(MARK_CLOSE).join('}');
  return { text, placeholders: findPlaceholders(text) };
}

/** Replaces each formatted argument of a missing variable, braces matched, by `{name}`. */
function withoutFormattedArguments(template: string, missing: (name: string) => boolean): string {
  let out = '';
  let from = 0;
  for (const match of template.matchAll(ARGUMENT)) {
    const name = match[2]!;
    if (match.index < from || match[3]!.trim() !== ',' || !missing(name)) continue;
    let depth = 0;
    let end = -1;
    for (let i = match.index; i < template.length; i++) {
      if (template[i] === '{') depth++;
      else if (template[i] === '}' && --depth === 0) {
        end = i + 1;
        break;
      }
    }
    if (end < 0) break;
    out += `${template.slice(from, match.index)}{${name}}`;
    from = end;
  }
  return out + template.slice(from);
}

function isDateVariable(name: string): boolean {
  return name === 'now' || name.endsWith('At');
}
