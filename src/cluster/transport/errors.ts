/**
 * Why a cluster request failed. The reasons are deliberately few: callers (membership, Distro)
 * only need to know whether to count a failure, retry, or mark a peer DOWN at once.
 */
import { GrpcStatus, grpcStatusName } from '../../wire/grpc-http2.js';

export type ClusterFailure =
  /** The deadline passed while the connection to the peer was up (the peer is slow or stuck). */
  | 'timeout'
  /** No usable connection: connect failed or timed out, TLS failed, the peer closed it, or we closed it (closePeer/stop). */
  | 'unreachable'
  /**
   * The peer's OS refused the TCP connection (nothing listens on its cluster port). Membership
   * marks such a peer DOWN immediately (docs/protocol/distro.md §5.4, "Connection refused").
   */
  | 'refused-connection'
  /** The peer's cluster transport refused to authenticate us (ErrorResponse 403). */
  | 'rejected'
  /** The peer answered with a failure (ErrorResponse or resultCode != 200), or with something undecodable. */
  | 'remote-error'
  /** Too many outstanding requests to this peer already; rejected without sending. */
  | 'queue-full';

export class ClusterRequestError extends Error {
  constructor(
    readonly reason: ClusterFailure,
    message: string,
    /** For `remote-error`/`rejected`: the peer's errorCode (or resultCode when errorCode is 0). */
    readonly code?: number,
    /** For `remote-error`/`rejected`: the decoded failure body, e.g. a typed failure's extra fields. */
    readonly response?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ClusterRequestError';
  }
}

/** A gRPC call's final status (what a grpc-js ServiceError carries, too). */
export interface GrpcFailure {
  code: number;
  details: string;
}

/**
 * Maps a failed gRPC call to a reason. `channelReady` is the channel's state when the call failed:
 * a deadline that passes while still connecting means "unreachable", not "slow peer".
 * `closedLocally` is set when we cancelled the call ourselves (closePeer/stop).
 */
export function fromGrpcError(err: GrpcFailure & { message?: string }, channelReady: boolean, closedLocally: boolean, peer: string): ClusterRequestError {
  const details = err.details || (err.message ?? '');
  switch (err.code) {
    case GrpcStatus.DEADLINE_EXCEEDED:
      return channelReady
        ? new ClusterRequestError('timeout', `request to ${peer} timed out: ${details}`)
        : new ClusterRequestError('unreachable', `no connection to ${peer} within the deadline: ${details}`);
    case GrpcStatus.UNAVAILABLE:
      // A refused connect is UNAVAILABLE with "connect ECONNREFUSED ip:port" in the details (grpc-js and
      // client-pool.ts alike), also for calls failing fast during the reconnect back-off that follows.
      if (/ECONNREFUSED|connection refused/i.test(details)) {
        return new ClusterRequestError('refused-connection', `connection to ${peer} refused: ${details}`);
      }
      return new ClusterRequestError('unreachable', `${peer} unavailable: ${details}`);
    case GrpcStatus.CANCELLED:
      return new ClusterRequestError('unreachable', closedLocally ? `connection to ${peer} closed locally` : `request to ${peer} cancelled: ${details}`);
    default:
      // UNIMPLEMENTED (not a Nomen cluster port), RESOURCE_EXHAUSTED (message too large), INTERNAL
      // (undecodable reply), ...: the peer is reachable but did not serve the request.
      return new ClusterRequestError('remote-error', `request to ${peer} failed (grpc ${grpcStatusName(err.code)}): ${details}`);
  }
}
