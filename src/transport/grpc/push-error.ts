/** Why a server-to-client request (push) did not complete. */
export type PushFailure =
  /** No registered connection with that id. */
  | 'unknown-connection'
  /** The connection went away (stream ended, transport closed, ejected, server stopped) before the ack. */
  | 'closed'
  /** No ack within the timeout. */
  | 'timeout'
  /** The client acked with resultCode != 200 (docs/protocol/grpc.md §3.10). */
  | 'nack'
  /** The body could not be encoded or the stream refused the write. */
  | 'write-failed';

export class PushError extends Error {
  constructor(
    readonly reason: PushFailure,
    message: string,
    /** Set for `nack`: the ack's resultCode / errorCode. */
    readonly resultCode?: number,
    readonly errorCode?: number,
  ) {
    super(message);
    this.name = 'PushError';
  }
}
