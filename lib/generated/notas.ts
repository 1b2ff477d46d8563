import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { NotasServiceClient as _notas_v1_NotasServiceClient, NotasServiceDefinition as _notas_v1_NotasServiceDefinition } from './notas/v1/NotasService.ts';
import type { RegistrarRequest as _notas_v1_RegistrarRequest, RegistrarRequest__Output as _notas_v1_RegistrarRequest__Output } from './notas/v1/RegistrarRequest.ts';
import type { RegistrarResponse as _notas_v1_RegistrarResponse, RegistrarResponse__Output as _notas_v1_RegistrarResponse__Output } from './notas/v1/RegistrarResponse.ts';
import type { Registro as _notas_v1_Registro, Registro__Output as _notas_v1_Registro__Output } from './notas/v1/Registro.ts';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  notas: {
    v1: {
      NotasService: SubtypeConstructor<typeof grpc.Client, _notas_v1_NotasServiceClient> & { service: _notas_v1_NotasServiceDefinition }
      RegistrarRequest: MessageTypeDefinition<_notas_v1_RegistrarRequest, _notas_v1_RegistrarRequest__Output>
      RegistrarResponse: MessageTypeDefinition<_notas_v1_RegistrarResponse, _notas_v1_RegistrarResponse__Output>
      Registro: MessageTypeDefinition<_notas_v1_Registro, _notas_v1_Registro__Output>
    }
  }
}

