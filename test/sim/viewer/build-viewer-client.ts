/**
 * Compiles the viewer page's modules for a test, without touching `dist/`: transpiles the client entry
 * and, following the relative imports left in the JavaScript (type-only imports are gone by then),
 * exactly the modules the browser will load. Type checking is `npm test`'s tsc step.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const IMPORT_SPECIFIER = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s*['"]([^'"]+)['"]/gm;

/** Writes `<outDir>/sim/viewer/client/main.js` and its relative imports; returns their repo-relative paths. */
export async function buildViewerClient(outDir: string, entry = 'sim/viewer/client/main.ts'): Promise<string[]> {
  const done = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const rel = pending.pop()!;
    if (done.has(rel)) continue;
    done.add(rel);
    const source = await readFile(path.join(REPO_ROOT, rel), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      fileName: rel,
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, sourceMap: false, verbatimModuleSyntax: false },
    });
    const outFile = path.join(outDir, rel.replace(/\.ts$/, '.js'));
    await mkdir(path.dirname(outFile), { recursive: true });
    await writeFile(outFile, outputText);
    for (const match of outputText.matchAll(IMPORT_SPECIFIER)) {
      const specifier = match[1] ?? match[2] ?? match[3]!;
      if (!specifier.startsWith('.')) continue; // bare: three, mapped by the page's import map
      pending.push(path.posix.join(path.posix.dirname(rel), specifier).replace(/\.js$/, '.ts'));
    }
  }
  return [...done].sort();
}
