// Original file: proto/notas/v1/notas.proto


export interface Registro {
  'carnet'?: (number);
  'nombre'?: (string);
  'curso'?: (string);
  'nota'?: (number);
  'semestre'?: (string);
  'year'?: (number);
  '_carnet'?: "carnet";
  '_nombre'?: "nombre";
  '_curso'?: "curso";
  '_nota'?: "nota";
  '_semestre'?: "semestre";
  '_year'?: "year";
}

export interface Registro__Output {
  'carnet'?: (number);
  'nombre'?: (string);
  'curso'?: (string);
  'nota'?: (number);
  'semestre'?: (string);
  'year'?: (number);
  '_carnet'?: "carnet";
  '_nombre'?: "nombre";
  '_curso'?: "curso";
  '_nota'?: "nota";
  '_semestre'?: "semestre";
  '_year'?: "year";
}
