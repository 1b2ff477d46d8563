// Original file: proto/notas/v1/notas.proto


export interface RegistrarResponse {
  'id'?: (string);
  'duplicate'?: (boolean);
}

export interface RegistrarResponse__Output {
  'id'?: (string);
  'duplicate'?: (boolean);
}
