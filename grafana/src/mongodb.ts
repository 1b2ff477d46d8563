/**
 * "Notas — MongoDB": every stored record, from both routes.
 *
 * Every pipeline stays inside what FerretDB 1.24 (the test server) runs
 * correctly, so the tests execute each one unchanged:
 * - one accumulator per $group, because FerretDB 1.24 returns 0 for every
 *   accumulator after the first in the same $group;
 * - $project only includes or excludes fields, because FerretDB 1.24 returns
 *   an expression such as "$_id" as a literal string instead of evaluating it;
 * - group keys stay in `_id` and are renamed by a Grafana transformation.
 * Values that need arithmetic (an average) are computed by transformations.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as piechart from '@grafana/grafana-foundation-sdk/piechart';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { DEFAULT_PASSING_GRADE } from '../../lib/record.ts';
import { MongoQuery, RANGE_FROM, RANGE_TO, rawVariable, type Stage } from './queries.ts';
import { barPanel, statPanel, tablePanel, ULTIMOS_COLUMNS, UNITS } from './panels.ts';
import { divide, joinByField, organize, sortBy, toText } from './transformations.ts';

export const MONGODB_DASHBOARD_UID = 'notas-mongodb';

/** Dashboard variable with the lowest passing grade used by "Aprobados y reprobados por curso". */
export const PASSING_GRADE_VARIABLE = 'nota_aprobacion';

const LATEST_ROWS = 20;

function countBy(field: string, accumulator: string, match?: Stage): Stage[] {
  const pipeline: Stage[] = match === undefined ? [] : [{ $match: match }];
  pipeline.push({ $group: { _id: `$${field}`, [accumulator]: { $sum: 1 } } }, { $sort: { _id: 1 } });
  return pipeline;
}

function passingGradeVariable(): dashboard.CustomVariableBuilder {
  const grades = Array.from({ length: 101 }, (_, grade) => String(grade));
  const current = String(DEFAULT_PASSING_GRADE);
  return new dashboard.CustomVariableBuilder(PASSING_GRADE_VARIABLE)
    .label('Nota de aprobación')
    .description(
      `Nota mínima para aprobar (${current} por defecto). Elija otra en esta lista para recalcular el panel de aprobados y reprobados; ` +
        'para cambiar el valor por defecto, cambie DEFAULT_PASSING_GRADE y ejecute npm run dashboards.',
    )
    .values(grades.join(','))
    .current({ text: current, value: current })
    // A fixed list of integers keeps the value safe to place unquoted in a pipeline.
    .allowCustomValue(false)
    .multi(false)
    .includeAll(false);
}

function totalPanel() {
  return statPanel(
    {
      id: 1,
      title: 'Total de registros',
      description: 'Cantidad de registros guardados en MongoDB por ambas rutas, desde el inicio.',
      width: 6,
      height: 7,
    },
    new MongoQuery('A', [{ $count: 'registros' }]),
    UNITS.registros,
  );
}

function porRutaPanel() {
  return new piechart.PanelBuilder()
    .id(2)
    .title('Registros por ruta')
    .description('Reparto de los registros guardados entre la ruta grpc y la ruta cache (Linkerd divide el tráfico 50/50).')
    .span(6)
    .height(7)
    .withTarget(new MongoQuery('A', countBy('ruta', 'registros')))
    .transformations([organize({ rename: { _id: 'ruta' } })])
    .unit(UNITS.registros)
    .pieType(piechart.PieChartType.Pie)
    .displayLabels([piechart.PieChartLabels.Name, piechart.PieChartLabels.Percent])
    .reduceOptions(new common.ReduceDataOptionsBuilder().values(true).calcs([]).fields('/^registros$/'))
    .legend(new piechart.PieChartLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom).values([piechart.PieChartLegendValues.Value, piechart.PieChartLegendValues.Percent]));
}

function porMinutoPanel() {
  const perMinute = (ruta: string): Stage[] => [
    { $match: { ruta, recibido: { $gte: RANGE_FROM, $lte: RANGE_TO } } },
    { $group: { _id: '$minuto', registros: { $sum: 1 } } },
    { $sort: { _id: 1 } },
  ];
  return new timeseries.PanelBuilder()
    .id(3)
    .title('Registros recibidos por minuto')
    .description(
      'Registros recibidos en cada minuto del rango de tiempo del tablero, apilados por ruta. ' +
        'Filtra por recibido dentro del rango y agrupa por minuto (recibido truncado al minuto al guardar).',
    )
    .span(12)
    .height(7)
    .targets([new MongoQuery('A', perMinute('grpc')), new MongoQuery('B', perMinute('cache'))])
    .unit(UNITS.registros)
    .decimals(0)
    .min(0)
    .noValue('Sin datos')
    .drawStyle(common.GraphDrawStyle.Bars)
    .fillOpacity(80)
    .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal))
    .overrideByQuery('A', [{ id: 'displayName', value: 'grpc' }])
    .overrideByQuery('B', [{ id: 'displayName', value: 'cache' }]);
}

function porCursoPanel() {
  return barPanel(
    { id: 4, title: 'Registros por curso', description: 'Cantidad de registros guardados de cada curso.', width: 8, height: 9 },
    [new MongoQuery('A', countBy('curso', 'registros'))],
    [organize({ rename: { _id: 'curso' } })],
    { xField: 'curso', unit: UNITS.registros },
  );
}

function promedioPanel() {
  return barPanel(
    {
      id: 5,
      title: 'Promedio por curso',
      description:
        'Nota promedio de cada curso. La consulta A suma las notas por curso y la B cuenta los registros; ' +
        'Grafana une ambas por curso y calcula promedio = suma ÷ registros.',
      width: 8,
      height: 9,
    },
    [
      new MongoQuery('A', [{ $group: { _id: '$curso', suma: { $sum: '$nota' } } }, { $sort: { _id: 1 } }]),
      new MongoQuery('B', countBy('curso', 'registros')),
    ],
    [joinByField('_id'), divide('suma', 'registros', 'promedio'), organize({ rename: { _id: 'curso' }, hide: ['suma', 'registros'] })],
    { xField: 'curso', unit: UNITS.puntos, decimals: 2 },
  );
}

function rangosPanel() {
  return barPanel(
    {
      id: 6,
      title: 'Distribución de notas en rangos de 10',
      description: 'Cantidad de registros por rango de nota: 0-9, 10-19, … 80-89 y 90-100.',
      width: 8,
      height: 9,
    },
    [new MongoQuery('A', countBy('rango', 'registros'))],
    [organize({ rename: { _id: 'rango' } })],
    { xField: 'rango', unit: UNITS.registros },
  );
}

function aprobadosPanel() {
  const grade = rawVariable(PASSING_GRADE_VARIABLE);
  return barPanel(
    {
      id: 7,
      title: 'Aprobados y reprobados por curso',
      description:
        `Registros con nota mayor o igual a la nota de aprobación (variable "Nota de aprobación", ${DEFAULT_PASSING_GRADE} por defecto) ` +
        'y registros por debajo de ella, por curso. Cambie la variable arriba del tablero para usar otra nota.',
      width: 12,
      height: 9,
    },
    [
      new MongoQuery('A', countBy('curso', 'aprobados', { nota: { $gte: grade } })),
      new MongoQuery('B', countBy('curso', 'reprobados', { nota: { $lt: grade } })),
    ],
    [joinByField('_id'), organize({ rename: { _id: 'curso' } }), sortBy('curso')],
    { xField: 'curso', unit: UNITS.registros, stacked: true },
  );
}

function semestrePanel() {
  return barPanel(
    {
      id: 8,
      title: 'Registros por semestre y año',
      description: 'Cantidad de registros de cada año, con una barra por semestre (1S y 2S).',
      width: 12,
      height: 9,
    },
    [
      new MongoQuery('A', countBy('year', 'registros_1S', { semestre: '1S' })),
      new MongoQuery('B', countBy('year', 'registros_2S', { semestre: '2S' })),
    ],
    [
      joinByField('_id'),
      sortBy('_id'),
      toText('_id'),
      organize({ rename: { _id: 'año', registros_1S: '1S', registros_2S: '2S' } }),
    ],
    { xField: 'año', unit: UNITS.registros },
  );
}

function ultimosPanel() {
  const projection = Object.fromEntries([['_id', 0], ...ULTIMOS_COLUMNS.map((column) => [column, 1])]);
  return tablePanel(
    {
      id: 9,
      title: 'Últimos registros',
      description: `Los ${LATEST_ROWS} registros recibidos más recientes, de ambas rutas.`,
      width: 24,
      height: 10,
    },
    new MongoQuery('A', [{ $sort: { recibido: -1 } }, { $limit: LATEST_ROWS }, { $project: projection }]),
    [organize({ rename: { year: 'año' }, order: [...ULTIMOS_COLUMNS] })],
  );
}

/** Builds the "Notas — MongoDB" dashboard. */
export function mongodbDashboard(): dashboard.Dashboard {
  return new dashboard.DashboardBuilder('Notas — MongoDB')
    .uid(MONGODB_DASHBOARD_UID)
    .description('Notas de estudiantes guardadas en MongoDB por las rutas grpc y cache.')
    .tags(['notas', 'mongodb'])
    .timezone('browser')
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .readonly()
    .withVariable(passingGradeVariable())
    .withPanel(totalPanel())
    .withPanel(porRutaPanel())
    .withPanel(porMinutoPanel())
    .withPanel(porCursoPanel())
    .withPanel(promedioPanel())
    .withPanel(rangosPanel())
    .withPanel(aprobadosPanel())
    .withPanel(semestrePanel())
    .withPanel(ultimosPanel())
    .build();
}
