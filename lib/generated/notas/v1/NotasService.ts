// Original file: proto/notas/v1/notas.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { RegistrarRequest as _notas_v1_RegistrarRequest, RegistrarRequest__Output as _notas_v1_RegistrarRequest__Output } from '../../notas/v1/RegistrarRequest.ts';
import type { RegistrarResponse as _notas_v1_RegistrarResponse, RegistrarResponse__Output as _notas_v1_RegistrarResponse__Output } from '../../notas/v1/RegistrarResponse.ts';

export interface NotasServiceClient extends grpc.Client {
  Registrar(argument: _notas_v1_RegistrarRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_notas_v1_RegistrarResponse__Output>): grpc.ClientUnaryCall;
  Registrar(argument: _notas_v1_RegistrarRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_notas_v1_RegistrarResponse__Output>): grpc.ClientUnaryCall;
  Registrar(argument: _notas_v1_RegistrarRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_notas_v1_RegistrarResponse__Output>): grpc.ClientUnaryCall;
  Registrar(argument: _notas_v1_RegistrarRequest, callback: grpc.requestCallback<_notas_v1_RegistrarResponse__Output>): grpc.ClientUnaryCall;
  registrar(argument: _notas_v1_RegistrarRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_notas_v1_RegistrarResponse__Output>): grpc.ClientUnaryCall;
  registrar(argument: _notas_v1_RegistrarRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_notas_v1_RegistrarResponse__Output>): grpc.ClientUnaryCall;
  registrar(argument: _notas_v1_RegistrarRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_notas_v1_RegistrarResponse__Output>): grpc.ClientUnaryCall;
  registrar(argument: _notas_v1_RegistrarRequest, callback: grpc.requestCallback<_notas_v1_RegistrarResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface NotasServiceHandlers extends grpc.UntypedServiceImplementation {
  Registrar: grpc.handleUnaryCall<_notas_v1_RegistrarRequest__Output, _notas_v1_RegistrarResponse>;
  
}

export interface NotasServiceDefinition extends grpc.ServiceDefinition {
  Registrar: MethodDefinition<_notas_v1_RegistrarRequest, _notas_v1_RegistrarResponse, _notas_v1_RegistrarRequest__Output, _notas_v1_RegistrarResponse__Output>
}
