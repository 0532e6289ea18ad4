// @vitest-environment node
// House rule (DESIGN.md §5): every component lives in components/X/ with
// X.tsx, X.stories.tsx and X.test.tsx; every .tsx has a story beside it.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = dirname(fileURLToPath(import.meta.url));

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const files = walk(root);
const components = files.filter((f) => f.endsWith('.tsx') && !f.endsWith('.stories.tsx') && !f.endsWith('.test.tsx'));

describe('component conventions', () => {
  it('finds components', () => {
    expect(components.length).toBeGreaterThan(10);
  });

  it.each(components.map((f) => [f.slice(root.length + 1)]))('%s has a story and a test beside it', (rel) => {
    const file = join(root, rel);
    const stem = file.slice(0, -'.tsx'.length);
    expect(existsSync(`${stem}.stories.tsx`), `${rel} needs ${basename(stem)}.stories.tsx`).toBe(true);
    expect(existsSync(`${stem}.test.tsx`), `${rel} needs ${basename(stem)}.test.tsx`).toBe(true);
  });

  it.each(components.map((f) => [f.slice(root.length + 1)]))('%s lives in a folder of its own name', (rel) => {
    const folder = basename(dirname(join(root, rel)));
    expect(basename(rel, '.tsx')).toBe(folder);
  });
});
