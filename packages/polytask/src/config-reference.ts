/**
 * The experiment config reference, generated from the zod schema (`experimentConfigSchema`): every
 * key with its type, allowed values, default and a description from {@link configDescriptions}.
 * scripts/generate-docs.mjs writes it into the README; a test checks that every key of the schema
 * is described and that the README is current.
 */
import { z } from 'zod';
import { configDescriptions } from './config-descriptions';
import { experimentConfigSchema } from './experiment-config';

/** The part of JSON Schema that zod's `toJSONSchema` writes for this config. */
interface JsonSchema {
  readonly type?: string;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly default?: unknown;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly prefixItems?: readonly JsonSchema[];
  readonly additionalProperties?: JsonSchema | boolean;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly minimum?: number;
  readonly exclusiveMinimum?: number;
  readonly maximum?: number;
  readonly exclusiveMaximum?: number;
  readonly minItems?: number;
  readonly pattern?: string;
}

/** One key of the reference. */
export interface ConfigReferenceRow {
  /** Dotted path; `[]` marks the items of a list, e.g. `datasets[].reader`. */
  readonly path: string;
  /** Type and allowed values, e.g. `integer > 0` or `"mean" | "first"`. */
  readonly type: string;
  readonly defaultValue?: unknown;
  readonly required: boolean;
  /** For a key of some variants of a union only: those variants' `kind` (or `name`) values. */
  readonly variants?: readonly string[];
}

const safe = Number.MAX_SAFE_INTEGER;

function alternatives(node: JsonSchema): JsonSchema[] {
  const options = node.anyOf ?? node.oneOf;
  return options ? options.flatMap(alternatives) : [node];
}

/** Type and allowed values of a schema node in a few words. */
function describeType(node: JsonSchema): string {
  if (node.anyOf || node.oneOf) {
    const options = alternatives(node);
    const objects = options.filter((option) => option.properties);
    const rest = options.filter((option) => !option.properties).map(describeType);
    const discriminator = discriminatorOf(objects);
    const objectText = objects.length
      ? discriminator
        ? `object with ${discriminator} ${objects.map((option) => JSON.stringify(option.properties?.[discriminator]?.const)).join(' | ')}`
        : 'object'
      : undefined;
    return [...new Set([...rest, ...(objectText ? [objectText] : [])])].join(', or ');
  }
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.enum) return node.enum.map((value) => JSON.stringify(value)).join(' | ');
  if (node.type === 'integer' || node.type === 'number') {
    const bounds = [
      node.minimum !== undefined && node.minimum > -safe ? `≥ ${node.minimum}` : '',
      node.exclusiveMinimum !== undefined ? `> ${node.exclusiveMinimum}` : '',
      node.maximum !== undefined && node.maximum < safe ? `≤ ${node.maximum}` : '',
      node.exclusiveMaximum !== undefined ? `< ${node.exclusiveMaximum}` : '',
    ].filter(Boolean);
    return [node.type, ...bounds].join(' ');
  }
  if (node.type === 'array') {
    if (node.prefixItems) return `[${node.prefixItems.map(describeType).join(', ')}]`;
    const items = node.items ? describeType(node.items) : 'values';
    return `list of ${items}${node.minItems ? ` (at least ${node.minItems})` : ''}`;
  }
  if (node.type === 'object' && !node.properties) {
    const values = typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined;
    return values && Object.keys(values).length ? `object of ${describeType(values)}` : 'object';
  }
  return node.type ?? 'any';
}

/** The key whose constant tells a union's object variants apart (`kind`, `name`), if any. */
function discriminatorOf(objects: readonly JsonSchema[]): string | undefined {
  if (objects.length < 2) return undefined;
  return ['kind', 'name'].find((key) => objects.every((option) => option.properties?.[key]?.const !== undefined));
}

function collect(node: JsonSchema, path: string, required: boolean, rows: ConfigReferenceRow[], variants?: readonly string[]): void {
  if (path)
    rows.push({
      path,
      type: describeType(node),
      ...(node.default !== undefined ? { defaultValue: node.default } : {}),
      required,
      ...(variants ? { variants } : {}),
    });
  const options = alternatives(node);
  const objects = options.filter((option) => option.properties);
  const discriminator = discriminatorOf(objects);
  for (const option of objects)
    for (const [key, child] of Object.entries(option.properties ?? {})) {
      if (key === discriminator) continue;
      const label = discriminator ? [String(option.properties?.[discriminator]?.const)] : variants;
      collect(child, path ? `${path}.${key}` : key, option.required?.includes(key) ?? false, rows, label);
    }
  for (const option of options) {
    if (option.type === 'array' && option.items && alternatives(option.items).some((item) => item.properties))
      collect(option.items, `${path}[]`, true, rows, variants);
    // a map whose values are objects (losses per task): their keys under `<name>`
    const values =
      option.type === 'object' && !option.properties && typeof option.additionalProperties === 'object'
        ? option.additionalProperties
        : undefined;
    if (values && alternatives(values).some((value) => value.properties)) collect(values, `${path}.<name>`, false, rows, variants);
  }
}

/** Every key of the config schema; keys that several variants share are merged into one row. */
export function configReferenceRows(): ConfigReferenceRow[] {
  const json = z.toJSONSchema(experimentConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const rows: ConfigReferenceRow[] = [];
  collect(json, '', true, rows);
  const merged = new Map<string, ConfigReferenceRow>();
  for (const row of rows.filter((candidate) => !candidate.path.endsWith('[]'))) {
    const key = `${row.path}\u0000${row.type}`;
    const previous = merged.get(key);
    merged.set(
      key,
      previous
        ? { ...previous, ...(previous.variants && row.variants ? { variants: [...new Set([...previous.variants, ...row.variants])] } : {}) }
        : row,
    );
  }
  return [...merged.values()];
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The reference as Markdown: one table per top-level key with keys of its own, one for the rest. */
export function configReferenceMarkdown(): string {
  const rows = configReferenceRows();
  const sections = new Map<string, ConfigReferenceRow[]>();
  const hasChildren = (top: string) => rows.some((row) => row.path.startsWith(`${top}.`) || row.path.startsWith(`${top}[`));
  for (const row of rows) {
    const top = row.path.split(/[.[]/)[0] as string;
    // keys without keys of their own share one table
    const section = hasChildren(top) ? top : 'top-level keys';
    sections.set(section, [...(sections.get(section) ?? []), row]);
  }
  return [...sections]
    .map(([top, entries]) => {
      const lines = entries.map((row) => {
        const description = configDescriptions[row.path] ?? '';
        const scope = row.variants?.length ? `(${row.variants.join(', ')}) ` : '';
        const fallback = row.defaultValue !== undefined ? `\`${JSON.stringify(row.defaultValue)}\`` : row.required ? 'required' : '';
        return `| \`${row.path}\` | ${cell(row.type)} | ${cell(fallback)} | ${cell(scope + description)} |`;
      });
      return [`### ${top}`, '', '| key | type | default | description |', '|---|---|---|---|', ...lines].join('\n');
    })
    .join('\n\n');
}
