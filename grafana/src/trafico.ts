/**
 * "Tráfico": requests reaching each route, from the linkerd-viz Prometheus.
 * The series come from the inbound side of each route's Linkerd proxy
 * (`direction="inbound"`, label `deployment`), restricted to mTLS traffic
 * (`tls="true"`) so the kubelet's unmeshed health probes are not counted.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as piechart from '@grafana/grafana-foundation-sdk/piechart';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { DATASOURCES } from './pins.ts';
import { UNITS } from './panels.ts';

export const TRAFICO_DASHBOARD_UID = 'notas-trafico';

/** Label matchers for the two route deployments in namespace notas. */
export const ROUTE_SELECTOR = 'namespace="notas", direction="inbound", tls="true", deployment=~"route-grpc|route-cache"';

const PROMETHEUS = { type: DATASOURCES.prometheus.type, uid: DATASOURCES.prometheus.uid };

function promQuery(refId: string, expr: string): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder().refId(refId).datasource(PROMETHEUS).expr(expr).legendFormat('{{deployment}}').range();
}

function routeSeries(id: number, title: string, description: string, expr: string, unit: string) {
  return new timeseries.PanelBuilder()
    .id(id)
    .title(title)
    .description(description)
    .span(12)
    .height(8)
    .datasource(PROMETHEUS)
    .withTarget(promQuery('A', expr))
    .unit(unit)
    .noValue('Sin datos')
    .lineWidth(2)
    .fillOpacity(10)
    .legend(new common.VizLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.Table).placement(common.LegendPlacement.Bottom).calcs(['mean', 'max', 'lastNotNull']));
}

function solicitudesPanel() {
  return routeSeries(
    1,
    'Solicitudes por segundo por ruta',
    'Respuestas por segundo que envía cada ruta (response_total de linkerd-viz, lado de entrada del proxy).',
    `sum by (deployment) (rate(response_total{${ROUTE_SELECTOR}}[$__rate_interval]))`,
    UNITS.solicitudesPorSegundo,
  ).min(0);
}

function exitoPanel() {
  return routeSeries(
    2,
    'Tasa de éxito por ruta',
    'Fracción de respuestas que Linkerd clasifica como éxito (todo salvo 5xx y errores de conexión), por ruta.',
    `sum by (deployment) (rate(response_total{${ROUTE_SELECTOR}, classification="success"}[$__rate_interval]))\n/\n` +
      `sum by (deployment) (rate(response_total{${ROUTE_SELECTOR}}[$__rate_interval]))`,
    UNITS.porcentaje,
  )
    .min(0)
    .max(1);
}

function latenciaPanel() {
  return routeSeries(
    3,
    'Latencia p95 por ruta',
    'Percentil 95 del tiempo de respuesta de cada ruta, medido por su proxy de Linkerd (response_latency_ms_bucket).',
    `histogram_quantile(0.95, sum by (le, deployment) (rate(response_latency_ms_bucket{${ROUTE_SELECTOR}}[$__rate_interval])))`,
    UNITS.milisegundos,
  ).min(0);
}

function repartoPanel() {
  return new piechart.PanelBuilder()
    .id(4)
    .title('Reparto del tráfico por ruta')
    .description('Parte de las respuestas del rango de tiempo que atendió cada ruta; con la división 50/50 de Linkerd debería rondar la mitad cada una.')
    .span(12)
    .height(8)
    .datasource(PROMETHEUS)
    .withTarget(
      new prometheus.DataqueryBuilder()
        .refId('A')
        .datasource(PROMETHEUS)
        .expr(`sum by (deployment) (increase(response_total{${ROUTE_SELECTOR}}[$__range]))`)
        .legendFormat('{{deployment}}')
        .instant(),
    )
    .unit('suffix: respuestas')
    .decimals(0)
    .noValue('Sin datos')
    .pieType(piechart.PieChartType.Donut)
    .displayLabels([piechart.PieChartLabels.Name, piechart.PieChartLabels.Percent])
    .reduceOptions(new common.ReduceDataOptionsBuilder().values(false).calcs(['lastNotNull']))
    .legend(new piechart.PieChartLegendOptionsBuilder().showLegend(true).displayMode(common.LegendDisplayMode.Table).placement(common.LegendPlacement.Right).values([piechart.PieChartLegendValues.Value, piechart.PieChartLegendValues.Percent]));
}

/** Builds the "Tráfico" dashboard. */
export function traficoDashboard(): dashboard.Dashboard {
  return new dashboard.DashboardBuilder('Tráfico')
    .uid(TRAFICO_DASHBOARD_UID)
    .description('Tráfico de las rutas grpc y cache según linkerd-viz: solicitudes, éxito, latencia y reparto.')
    .tags(['notas', 'linkerd'])
    .timezone('browser')
    .time({ from: 'now-15m', to: 'now' })
    .refresh('10s')
    .readonly()
    .withPanel(solicitudesPanel())
    .withPanel(exitoPanel())
    .withPanel(latenciaPanel())
    .withPanel(repartoPanel())
    .build();
}
