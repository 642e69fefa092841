import { PassThrough } from 'node:stream';
import { UsageError } from './errors.js';

/**
 * `--jq <expression>`: every JSON document a command prints goes through jq (the real one, compiled to
 * WebAssembly: the jq-wasm package) and what jq prints takes its place, strings raw, as `jq -r` and
 * `gh --jq` do. A command prints each document in one write (present.ts), so documents, and the lines of
 * a JSON Lines stream, are filtered as they come; text that is not JSON passes through unchanged.
 */
export function jqFilter(target: NodeJS.WritableStream, expression: string): { stream: NodeJS.WritableStream & { isTTY?: boolean }; done(): Promise<void> } {
  const stream = new PassThrough();
  let pending: Promise<void> = Promise.resolve();
  let failure: UsageError | null = null;
  stream.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    pending = pending.then(async () => {
      if (failure) return;
      if (!isJson(text)) {
        target.write(text);
        return;
      }
      try {
        const { raw } = await import('jq-wasm');
        const result = await raw(text, expression, ['-r']);
        if (result) target.write(result.endsWith('\n') ? result : `${result}\n`);
      } catch (error) {
        failure = new UsageError(`--jq: ${jqMessage(error)}`, 'The expression is jq\'s own language: https://jqlang.org/manual/');
      }
    });
  });
  return {
    stream,
    async done() {
      await new Promise<void>((resolve) => stream.end(resolve));
      await pending;
      if (failure) throw failure;
    },
  };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** jq's own complaint (`jq: error: …`), without the wrapper's. */
function jqMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = message.split('\n').find((l) => l.startsWith('jq: error')) ?? message.split('\n').pop() ?? message;
  return line.replace(/^jq: error(?: \(at [^)]*\))?: /, '').replace(/:$/, '');
}
