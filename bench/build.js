// Build dist/ before a benchmark that measures it (`--no-build` skips this in each script).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Run `npm run build`; on failure print its output and end the process. */
export function buildDist() {
  console.log('building dist/ (npm run build)');
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) {
    console.error(build.stdout, build.stderr);
    console.error('the build failed: the benchmark measures dist/, so it stops here');
    process.exit(1);
  }
}
