/**
 * Names that the routes, the reconciliation code, the dashboards and the
 * tests share: MongoDB database and collection, and every Redis key.
 * Dependency-free, so any script can import it.
 */

/** Default database name; MONGO_DB overrides it. */
export const MONGO_DB = 'notas';
export const MONGO_COLLECTION = 'notas';

export const RUTAS = ['grpc', 'cache'] as const;
export type Ruta = (typeof RUTAS)[number];

/** Every key route cache writes. `applied` is the set of ids already counted. */
export const REDIS_KEYS = {
  total: 'notas:total',
  porCurso: 'notas:por_curso',
  sumaPorCurso: 'notas:suma_por_curso',
  aprobadosPorCurso: 'notas:aprobados_por_curso',
  porSemestre: 'notas:por_semestre',
  porRango: 'notas:por_rango',
  recientes: 'notas:recientes',
  applied: 'notas:aplicados',
} as const;

/** Approximate length cap of `notas:recientes` (XADD MAXLEN ~), in entries. */
export const RECIENTES_MAXLEN = 1000;

/** Field names of each `notas:recientes` stream entry, in order. */
export const RECIENTES_FIELDS = ['carnet', 'nombre', 'curso', 'nota', 'semestre', 'year', 'ruta', 'id', 'recibido'] as const;

/** Field of `notas:por_semestre`, such as `2023-2S`. */
export function semestreField(year: number, semestre: string): string {
  return `${year}-${semestre}`;
}
