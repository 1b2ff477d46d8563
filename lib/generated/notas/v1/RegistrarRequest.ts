// Original file: proto/notas/v1/notas.proto

import type { Registro as _notas_v1_Registro, Registro__Output as _notas_v1_Registro__Output } from '../../notas/v1/Registro.ts';

export interface RegistrarRequest {
  'registro'?: (_notas_v1_Registro | null);
  'idempotency_key'?: (string);
}

export interface RegistrarRequest__Output {
  'registro'?: (_notas_v1_Registro__Output);
  'idempotency_key'?: (string);
}
