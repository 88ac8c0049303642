/**
 * The SDK port on @grpc/grpc-js (docs/sdk-transport.md): sockets are injected through a connection
 * injector; calls are matched to their transport by `call.getPeer()` (`ip:port`).
 */
import type { Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { OutboundPayload } from '../../wire/codec.js';
import { sdkServiceDefinitions, type InboundMessage } from '../../wire/proto.js';
import type { StreamSink } from './connections.js';
import type { SdkTransport, SdkTransportOptions } from './sdk-transport.js';

export class GrpcJsSdkTransport implements SdkTransport {
  private readonly server: grpc.Server;
  private readonly injector: grpc.ConnectionInjector;

  constructor(private readonly opts: SdkTransportOptions) {
    const server = new grpc.Server({
      'grpc.max_receive_message_length': opts.maxInboundBytes,
      'grpc.enable_channelz': 0,
      ...(opts.keepaliveTimeMs > 0 ? { 'grpc.keepalive_time_ms': opts.keepaliveTimeMs, 'grpc.keepalive_timeout_ms': opts.keepaliveTimeoutMs } : {}),
    });
    const defs = sdkServiceDefinitions();
    const request: grpc.handleUnaryCall<InboundMessage, OutboundPayload> = (call, callback) => this.handleUnary(call, callback);
    const requestBiStream: grpc.handleBidiStreamingCall<InboundMessage, OutboundPayload> = (call) => this.handleStream(call);
    server.addService(defs.request, { request });
    server.addService(defs.biStream, { requestBiStream });
    this.server = server;
    this.injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  }

  inject(socket: Socket): void {
    this.injector.injectConnection(socket);
  }

  async shutdown(graceMs: number): Promise<void> {
    const server = this.server;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, Math.max(0, graceMs));
      server.tryShutdown(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private handleUnary(call: grpc.ServerUnaryCall<InboundMessage, OutboundPayload>, callback: grpc.sendUnaryData<OutboundPayload>): void {
    // Synchronous replies are sent without a promise round trip.
    const reply = this.opts.host.unary(call.getPeer(), call.request);
    if (reply instanceof Promise) {
      reply.then((r) => callback(null, r)).catch((e: unknown) => this.opts.logger.error({ err: e }, 'unary reply failed'));
    } else {
      try {
        callback(null, reply);
      } catch (e) {
        this.opts.logger.error({ err: e }, 'unary reply failed');
      }
    }
  }

  private handleStream(call: grpc.ServerDuplexStream<InboundMessage, OutboundPayload>): void {
    const listener = this.opts.host.openStream(call.getPeer(), sinkOf(call));
    call.on('error', (e: Error) => {
      this.opts.logger.debug({ err: e }, 'bi-stream error');
      listener.closed(`stream error: ${e.message}`);
    });
    call.on('end', () => listener.closed('stream ended by client'));
    call.on('cancelled', () => listener.closed('stream cancelled'));
    call.on('close', () => listener.closed('stream closed'));
    call.on('data', (raw: InboundMessage) => listener.message(raw));
  }
}

/** A guarded write side: never writes to or ends a finished stream. */
function sinkOf(call: grpc.ServerDuplexStream<InboundMessage, OutboundPayload>): StreamSink {
  const open = (): boolean => !call.cancelled && !call.destroyed && !call.writableEnded;
  return {
    write(payload) {
      if (!open()) return false;
      try {
        call.write(payload);
        return true;
      } catch {
        return false;
      }
    },
    end() {
      if (open()) call.end();
    },
  };
}
