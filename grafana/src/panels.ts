/**
 * Panel shapes shared by the dashboards, so every bar chart, stat and table
 * looks and reads the same. Titles, descriptions and units are in Spanish.
 */
import * as barchart from '@grafana/grafana-foundation-sdk/barchart';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';

/** Grafana custom units ("suffix:") so values read in Spanish. */
export const UNITS = {
  registros: 'suffix: registros',
  puntos: 'suffix: puntos',
  solicitudesPorSegundo: 'suffix: solicitudes/s',
  milisegundos: 'ms',
  porcentaje: 'percentunit',
} as const;

export interface PanelText {
  id: number;
  title: string;
  description: string;
  /** Width in grid columns, out of 24. */
  width: number;
  height: number;
}

/** A single number, such as a total. Shows 0 rather than "No data" when the store is empty. */
export function statPanel(text: PanelText, query: cog.Builder<cog.Dataquery>, unit: string): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .id(text.id)
    .title(text.title)
    .description(text.description)
    .span(text.width)
    .height(text.height)
    .withTarget(query)
    .unit(unit)
    .decimals(0)
    .noValue('0')
    .graphMode(common.BigValueGraphMode.None)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
}

/** Bars per category (`xField`), one bar per remaining numeric field, optionally stacked. */
export function barPanel(
  text: PanelText,
  queries: cog.Builder<cog.Dataquery>[],
  transformations: dashboard.DataTransformerConfig[],
  options: { xField: string; unit: string; decimals?: number; stacked?: boolean },
): barchart.PanelBuilder {
  return new barchart.PanelBuilder()
    .id(text.id)
    .title(text.title)
    .description(text.description)
    .span(text.width)
    .height(text.height)
    .targets(queries)
    .transformations(transformations)
    .xField(options.xField)
    .unit(options.unit)
    .decimals(options.decimals ?? 0)
    .min(0)
    .noValue('Sin datos')
    .orientation(common.VizOrientation.Auto)
    .stacking(options.stacked === true ? common.StackingMode.Normal : common.StackingMode.None)
    .showValue(common.VisibilityMode.Auto)
    .legend(new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom));
}

/** The latest records as rows; `order` fixes the column order that the datasource leaves open. */
export function tablePanel(
  text: PanelText,
  query: cog.Builder<cog.Dataquery>,
  transformations: dashboard.DataTransformerConfig[],
): table.PanelBuilder {
  return new table.PanelBuilder()
    .id(text.id)
    .title(text.title)
    .description(text.description)
    .span(text.width)
    .height(text.height)
    .withTarget(query)
    .transformations(transformations)
    .noValue('Sin datos')
    .showHeader(true);
}

/** Column order and Spanish header of the "últimos registros" tables; field names as the record defines them. */
export const ULTIMOS_COLUMNS = ['carnet', 'nombre', 'curso', 'nota', 'semestre', 'year', 'ruta', 'recibido'] as const;
