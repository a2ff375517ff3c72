import { spawn } from 'node:child_process';

/** Run a fixture script in a Node.js process of its own and parse what it prints as JSON. */
export function runJsonChild<T>(script: string, args: readonly (string | number)[]): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args.map(String)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(output) as T) : reject(new Error(`child exited ${code}`)),
    );
  });
}
