/**
 * "Notas — Redis": the counters route cache keeps in Redis, so it covers
 * only the records that went through route cache. Each hash panel reads one
 * hash with HGETALL; redis-datasource returns it as one row with a field per
 * hash field, which `hashToRows` turns into one row per course or bucket.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { REDIS_KEYS, RUTAS } from '../../lib/store/names.ts';
import { RedisQuery } from './queries.ts';
import { barPanel, statPanel, tablePanel, ULTIMOS_COLUMNS, UNITS } from './panels.ts';
import { divide, hashToRows, joinByField, organize, sortBy, subtract } from './transformations.ts';

export const REDIS_DASHBOARD_UID = 'notas-redis';

const LATEST_ROWS = 20;

const ONLY_CACHE = `Solo cuenta los registros de la ruta ${RUTAS[1]}, la única que escribe en Redis.`;

function totalPanel() {
  return statPanel(
    { id: 1, title: 'Total de registros', description: `Valor de ${REDIS_KEYS.total}. ${ONLY_CACHE}`, width: 6, height: 7 },
    new RedisQuery('A', 'get', REDIS_KEYS.total),
    UNITS.registros,
  );
}

function porCursoPanel() {
  return barPanel(
    { id: 2, title: 'Conteo por curso', description: `Registros por curso, del hash ${REDIS_KEYS.porCurso}. ${ONLY_CACHE}`, width: 9, height: 7 },
    [new RedisQuery('A', 'hgetall', REDIS_KEYS.porCurso)],
    [...hashToRows('A', 'curso', 'registros'), sortBy('curso')],
    { xField: 'curso', unit: UNITS.registros },
  );
}

function promedioPanel() {
  return barPanel(
    {
      id: 3,
      title: 'Promedio por curso',
      description:
        `Nota promedio de cada curso: suma de notas (${REDIS_KEYS.sumaPorCurso}) ÷ registros (${REDIS_KEYS.porCurso}), ` +
        `calculado por Grafana tras unir ambos hashes por curso. ${ONLY_CACHE}`,
      width: 9,
      height: 7,
    },
    [new RedisQuery('A', 'hgetall', REDIS_KEYS.sumaPorCurso), new RedisQuery('B', 'hgetall', REDIS_KEYS.porCurso)],
    [
      ...hashToRows('A', 'curso', 'suma'),
      ...hashToRows('B', 'curso', 'registros'),
      joinByField('curso'),
      divide('suma', 'registros', 'promedio'),
      organize({ hide: ['suma', 'registros'] }),
      sortBy('curso'),
    ],
    { xField: 'curso', unit: UNITS.puntos, decimals: 2 },
  );
}

function aprobadosPanel() {
  return barPanel(
    {
      id: 4,
      title: 'Aprobados y reprobados por curso',
      description:
        `Registros aprobados por curso (${REDIS_KEYS.aprobadosPorCurso}), con la nota de aprobación vigente al guardar ` +
        `(NOTA_APROBACION de route-cache, 61 por defecto); reprobados = registros − aprobados. ${ONLY_CACHE}`,
      width: 12,
      height: 9,
    },
    [new RedisQuery('A', 'hgetall', REDIS_KEYS.aprobadosPorCurso), new RedisQuery('B', 'hgetall', REDIS_KEYS.porCurso)],
    [
      ...hashToRows('A', 'curso', 'aprobados'),
      ...hashToRows('B', 'curso', 'registros'),
      joinByField('curso'),
      subtract('registros', 'aprobados', 'reprobados'),
      organize({ hide: ['registros'] }),
      sortBy('curso'),
    ],
    { xField: 'curso', unit: UNITS.registros, stacked: true },
  );
}

function rangosPanel() {
  return barPanel(
    {
      id: 5,
      title: 'Distribución por rango',
      description: `Registros por rango de nota (0-9 … 90-100), del hash ${REDIS_KEYS.porRango}. ${ONLY_CACHE}`,
      width: 12,
      height: 9,
    },
    [new RedisQuery('A', 'hgetall', REDIS_KEYS.porRango)],
    // Range names sort correctly as text: each starts with a different leading digit.
    [...hashToRows('A', 'rango', 'registros'), sortBy('rango')],
    { xField: 'rango', unit: UNITS.registros },
  );
}

function semestrePanel() {
  return barPanel(
    {
      id: 6,
      title: 'Registros por semestre y año',
      description: `Registros por año y semestre (como 2023-2S), del hash ${REDIS_KEYS.porSemestre}. ${ONLY_CACHE}`,
      width: 24,
      height: 8,
    },
    [new RedisQuery('A', 'hgetall', REDIS_KEYS.porSemestre)],
    [...hashToRows('A', 'semestre', 'registros'), sortBy('semestre')],
    { xField: 'semestre', unit: UNITS.registros },
  );
}

function ultimosPanel() {
  return tablePanel(
    {
      id: 7,
      title: 'Últimos registros',
      description: `Las ${LATEST_ROWS} entradas más recientes del stream ${REDIS_KEYS.recientes} (XREVRANGE + - COUNT ${LATEST_ROWS}). ${ONLY_CACHE}`,
      width: 24,
      height: 10,
    },
    // start/end replace the dashboard time range, so the table always shows the latest entries.
    new RedisQuery('A', 'xrevrange', REDIS_KEYS.recientes, { start: '-', end: '+', count: LATEST_ROWS }),
    [organize({ rename: { year: 'año' }, hide: ['$streamId', '$time', 'id'], order: [...ULTIMOS_COLUMNS] })],
  );
}

/** Builds the "Notas — Redis" dashboard. */
export function redisDashboard(): dashboard.Dashboard {
  return new dashboard.DashboardBuilder('Notas — Redis')
    .uid(REDIS_DASHBOARD_UID)
    .description('Contadores de notas que la ruta cache guarda en Redis.')
    .tags(['notas', 'redis'])
    .timezone('browser')
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .readonly()
    .withPanel(totalPanel())
    .withPanel(porCursoPanel())
    .withPanel(promedioPanel())
    .withPanel(aprobadosPanel())
    .withPanel(rangosPanel())
    .withPanel(semestrePanel())
    .withPanel(ultimosPanel())
    .build();
}
