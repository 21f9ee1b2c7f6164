import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LANGS, type Lang, format, pick, placeholders, t, table } from '../src/i18n';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('translation table', () => {
  const entries = Object.entries(table) as [string, Record<Lang, string>][];

  it('has a French and an English text for every key', () => {
    const missing = entries.filter(([, texts]) => LANGS.some((lang) => typeof texts[lang] !== 'string' || texts[lang].trim() === ''));
    expect(missing.map(([key]) => key)).toEqual([]);
    for (const [, texts] of entries) expect(Object.keys(texts).sort()).toEqual([...LANGS].sort());
  });

  it('uses the same placeholders in both languages', () => {
    const mismatched = entries.filter(([, texts]) => placeholders(texts.fr).join() !== placeholders(texts.en).join());
    expect(mismatched.map(([key]) => key)).toEqual([]);
  });

  it('has every key the code asks for', () => {
    const root = join(__dirname, '..', 'src');
    const used = new Set<string>();
    for (const file of sources(root)) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/\bt\(\s*'([a-zA-Z0-9_.]+)'/g)) used.add(match[1]!);
    }
    expect(used.size).toBeGreaterThan(50);
    const unknown = [...used].filter((key) => !(key in table));
    expect(unknown).toEqual([]);
  });

  it('fills placeholders and leaves unknown ones', () => {
    expect(format('{a} et {b}', { a: 1 })).toBe('1 et {b}');
    expect(t('queue.escalation', { level: 3 }, 'fr')).toBe('Escalade niv. 3');
    expect(t('queue.escalation', { level: 3 }, 'en')).toBe('Escalation lvl 3');
  });

  it('picks the member of a pair in the language asked', () => {
    const step = { title_fr: 'Appeler', title_en: 'Call' };
    expect(pick(step, 'title', 'fr')).toBe('Appeler');
    expect(pick(step, 'title', 'en')).toBe('Call');
    expect(pick({ title_fr: 'Seul' }, 'title', 'en')).toBe('Seul');
  });
});
