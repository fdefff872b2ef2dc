// Bundles the console's TypeScript with esbuild, in memory, once per process (at server start).
// No build server and no CDN: the browser gets one same-origin script.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

export const CONSOLE_DIR = import.meta.dirname;

export interface ConsoleAssets {
  html: string;
  css: string;
  js: string;
}

export async function bundleConsole(): Promise<ConsoleAssets> {
  const result = await build({
    entryPoints: [path.join(CONSOLE_DIR, 'app.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    minify: false,
    sourcemap: false,
    logLevel: 'silent',
  });
  const js = result.outputFiles[0]?.text;
  if (!js) throw new Error('HW_ERR_CONSOLE_BUILD: esbuild produced no output for workers/console/app.ts');
  const [html, css] = await Promise.all([readFile(path.join(CONSOLE_DIR, 'index.html'), 'utf8'), readFile(path.join(CONSOLE_DIR, 'console.css'), 'utf8')]);
  return { html, css, js };
}
