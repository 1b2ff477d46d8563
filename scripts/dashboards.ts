/**
 * Writes the Grafana dashboards built in grafana/src/ to grafana/dashboards/.
 *
 *   npm run dashboards
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DASHBOARDS, dashboardJson } from '../grafana/src/index.ts';

const outputDir = fileURLToPath(new URL('../grafana/dashboards/', import.meta.url));

await mkdir(outputDir, { recursive: true });

for (const { file, build } of DASHBOARDS) {
  const path = join(outputDir, file);
  await writeFile(path, dashboardJson(build()));
  process.stdout.write(`wrote ${path}\n`);
}
