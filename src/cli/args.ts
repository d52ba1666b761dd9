// A tiny `--name value` parser for the command-line scripts, with errors that say what is expected.
import { parseArgs } from 'node:util';

export function readOptions<T extends Record<string, { type: 'string' }>>(usage: string, options: T) {
  try {
    const { values } = parseArgs({ options, strict: true, allowPositionals: false });
    return values as { [K in keyof T]?: string };
  } catch (error) {
    fail(usage, (error as Error).message);
  }
}

export function fail(usage: string, message: string): never {
  process.stderr.write(`${message}\nusage: ${usage}\n`);
  process.exit(2);
}
